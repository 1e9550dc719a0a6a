#pragma once
// Keras's everyday callbacks for fit(): EarlyStopping, ModelCheckpoint,
// ReduceLROnPlateau and CSVLogger, with Keras's names and rules (the
// differences are named where they are). A callback sees every epoch's
// numbers (EpochStats) and may stop training, scale the learning rate or write
// files; fit()'s std::function hooks stay for anything else.
//
// Resuming: a callback's state is a function of the epochs it has seen, so a
// resumed run rebuilds it by replaying the checkpoint's history in
// on_train_begin (TrainState::history), with no state of its own in the file.
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "train/epoch_stats.h"

namespace cudanet {

class Module;
class Optimizer;
struct CheckpointInfo;

// What a callback sees, and may change, around fit()'s epochs.
struct TrainState {
  Module& model;
  Optimizer& optimizer;
  // Every epoch of the run so far: a resumed run's earlier epochs first.
  const std::vector<EpochStats>& history;
  bool has_validation = false;
  // The rate the schedule (or the optimizer's constant rate) starts from: what
  // ReduceLROnPlateau's min_lr is measured against.
  double base_lr = 0;
  // Multiplies the rate fit() sets before every step; ReduceLROnPlateau lowers it.
  double lr_scale = 1;
  // Set to stop training after this epoch (Keras's model.stop_training).
  bool stop = false;
};

class Callback {
 public:
  virtual ~Callback() = default;
  // Before the first step of fit(), after a resume's history is in `state`.
  virtual void on_train_begin(TrainState&) {}
  // After each epoch's validation, in the order the callbacks were given.
  virtual void on_epoch_end(const EpochStats&, TrainState&) {}
  // When fit() returns normally (the last epoch, or a stop). Not after a Ctrl-C
  // stop (FitOptions::should_stop) or an exception.
  virtual void on_train_end(TrainState&) {}
};

// The quantities a callback can monitor: "loss", "accuracy", "val_loss",
// "val_accuracy". Throws naming the known ones.
void check_monitor(const std::string& monitor);
// The value of `monitor` in one epoch's numbers; a val_ quantity of an epoch
// without validation throws.
double monitor_value(const EpochStats& s, const std::string& monitor);

// Which way is better: Keras's "auto" is "max" for an accuracy, else "min".
enum class MonitorMode { Auto, Min, Max };
MonitorMode parse_monitor_mode(const std::string& mode);  // "auto", "min", "max"

// One monitored quantity and the best value so far (Keras's monitor_op with
// min_delta): `current` improves when it beats best by more than min_delta.
class MonitorBest {
 public:
  MonitorBest(std::string monitor, MonitorMode mode, double min_delta);
  const std::string& monitor() const { return monitor_; }
  bool maximize() const { return maximize_; }
  // Whether `current` is better than `reference` by more than min_delta.
  bool beats(double current, double reference) const;
  bool improves(double current) const { return beats(current, best_); }
  double best() const { return best_; }
  void set_best(double v) { best_ = v; }
  void reset();

 private:
  std::string monitor_;
  bool maximize_;
  double min_delta_;
  double best_ = 0;
};

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  MonitorMode mode = MonitorMode::Auto;
  int patience = 0;
  double min_delta = 0;
  bool restore_best_weights = false;
  std::optional<double> baseline;  // wait is restarted only by epochs that also beat it
};

// Stops when `monitor` has not improved by more than min_delta for `patience`
// epochs (Keras 3's EarlyStopping: never after the first epoch). With
// restore_best_weights the weights and buffers of the best epoch are copied
// back at the end of training, stopped early or not.
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions o);
  void on_train_begin(TrainState& s) override;
  void on_epoch_end(const EpochStats& e, TrainState& s) override;
  void on_train_end(TrainState& s) override;

  int stopped_epoch() const { return stopped_epoch_; }  // 1-based; 0: did not stop
  int best_epoch() const { return best_epoch_; }        // 1-based; 0: none yet
  double best() const { return best_.best(); }
  // The epoch whose weights on_train_end restored, 0 when none: the best epoch
  // came before a resume (its weights are not in this process), or
  // restore_best_weights is off.
  int restored_epoch() const { return restored_epoch_; }

 private:
  void update(const EpochStats& e, TrainState* s);
  EarlyStoppingOptions o_;
  MonitorBest best_;
  int wait_ = 0, stopped_epoch_ = 0, best_epoch_ = 0, restored_epoch_ = 0;
  int held_epoch_ = 0;  // the epoch `weights_` holds
  std::vector<Tensor> weights_;
};

// A double as Python's repr writes it: the shortest text that reads back the
// same number, fixed between 1e-4 and 1e16 ("0.0005", "2.0"), else "1e-05".
std::string float_text(double v);

// Expands a file-name pattern as Keras's ModelCheckpoint does:
// "run-{epoch:02d}.safetensors", "best-{val_loss:.4f}.safetensors". Fields:
// epoch (1-based), loss, accuracy, val_loss, val_accuracy, lr; a spec is
// [0][width][.precision][d|f|e|g]; "{{" and "}}" are braces. Throws naming the
// pattern and the field for an unknown field or a bad spec.
std::string format_epoch_pattern(const std::string& pattern, const EpochStats& s);
// Whether the pattern has any field, i.e. names one file per epoch.
bool is_epoch_pattern(const std::string& pattern);

struct ModelCheckpointOptions {
  std::string filepath;                    // a name or a pattern (format_epoch_pattern)
  std::string monitor = "val_loss";
  MonitorMode mode = MonitorMode::Auto;
  bool save_best_only = false;             // write only when `monitor` improves
  bool save_weights_only = false;          // leave the optimizer's state out
  // The checkpoint's metadata (model description, position, ...) for an epoch.
  std::function<CheckpointInfo(const EpochStats&, const TrainState&)> info;
};

// Writes a checkpoint (train/checkpoint.h, atomically) at every epoch's end, or
// only when the monitored quantity improves (no min_delta, as Keras).
class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(ModelCheckpointOptions o);
  void on_train_begin(TrainState& s) override;
  void on_epoch_end(const EpochStats& e, TrainState& s) override;
  const std::string& last_saved() const { return last_saved_; }  // "" before the first write
  int last_saved_epoch() const { return last_epoch_; }

 private:
  ModelCheckpointOptions o_;
  MonitorBest best_;
  std::string last_saved_;
  int last_epoch_ = 0;
};

struct ReduceLrOnPlateauOptions {
  std::string monitor = "val_loss";
  MonitorMode mode = MonitorMode::Auto;
  double factor = 0.1;      // in (0, 1)
  int patience = 10;
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0;
  // Told each reduction made in this run (not those a resume replays).
  std::function<void(int epoch, double old_lr, double new_lr)> on_reduce;
};

// Keras's ReduceLROnPlateau. It multiplies the rate by `factor` after `patience`
// epochs without improvement, never below min_lr. It composes with a schedule
// by scaling it: the rate of step t is schedule(t) * scale, and a reduction is
// limited so that base_lr * scale stays >= min_lr (with a constant rate this is
// exactly Keras's max(lr * factor, min_lr)).
class ReduceLrOnPlateau : public Callback {
 public:
  explicit ReduceLrOnPlateau(ReduceLrOnPlateauOptions o);
  void on_train_begin(TrainState& s) override;
  void on_epoch_end(const EpochStats& e, TrainState& s) override;
  int reductions() const { return reductions_; }

 private:
  void update(const EpochStats& e, TrainState& s);
  ReduceLrOnPlateauOptions o_;
  MonitorBest best_;
  int wait_ = 0, cooldown_left_ = 0, reductions_ = 0;
};

// One CSV row per epoch: epoch,loss,accuracy[,val_loss,val_accuracy],lr,seconds,
// images_per_second (epoch 1-based, as the trainer prints it and the JSONL log
// writes it). With `append` an existing file is continued; rows of epochs after
// the run's history (a resumed run trains them again) are dropped first. The
// file may be /dev/stdout.
class CsvLogger : public Callback {
 public:
  explicit CsvLogger(std::string path, bool append = false);
  ~CsvLogger() override;
  CsvLogger(const CsvLogger&) = delete;
  CsvLogger& operator=(const CsvLogger&) = delete;
  void on_train_begin(TrainState& s) override;
  void on_epoch_end(const EpochStats& e, TrainState& s) override;
  void on_train_end(TrainState& s) override;

 private:
  std::string path_;
  bool append_;
  std::FILE* f_ = nullptr;
  bool header_written_ = false;
};

}  // namespace cudanet
