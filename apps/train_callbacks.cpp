// cudanet-train's callback flags (apps/train_callbacks.h).
#include "apps/train_callbacks.h"

#include <cstdio>
#include <vector>

namespace cudanet::app {

std::string monitor_of(const TrainArgs& a) {
  if (!a.monitor.empty()) return a.monitor;
  return a.val_split > 0 ? "val_loss" : "loss";
}

void check_callback_flags(const TrainArgs& a) {
  auto needs = [&](const char* flag, bool ok, const char* what) {
    usage_check(!a.has(flag) || ok, flag, " needs ", what);
  };
  needs("--min-delta", a.early_stopping.has_value(), "--early-stopping N (it tunes early stopping)");
  needs("--restore-best-weights", a.early_stopping.has_value(), "--early-stopping N (it tunes early stopping)");
  for (const char* f : {"--plateau-factor", "--plateau-min-lr", "--plateau-cooldown", "--plateau-min-delta"})
    needs(f, a.plateau.has_value(), "--reduce-lr-on-plateau N (it tunes the plateau's reductions)");
  needs("--save-best-only", !a.save.empty(), "--save FILE (the file it writes)");
  const bool watched = a.early_stopping || a.plateau || a.save_best_only;
  for (const char* f : {"--monitor", "--monitor-mode"})
    needs(f, watched, "--early-stopping N, --reduce-lr-on-plateau N or --save-best-only (nothing else watches it)");
  const std::string m = monitor_of(a);
  usage_check(!watched || m.rfind("val_", 0) != 0 || a.val_split > 0, "--monitor ", m,
              ": --val-split 0 leaves no validation set (monitor loss or accuracy)");
  usage_check(a.loss == "cross_entropy" || !a.has("--label-smoothing"), "--label-smoothing applies to --loss "
              "cross_entropy only (--loss ", a.loss, " compares probabilities with the one-hot labels as they are)");
}

std::string epochs_text(int n) { return std::to_string(n) + (n == 1 ? " epoch" : " epochs"); }

std::string callbacks_text(const TrainArgs& a) {
  std::vector<std::string> parts;
  const std::string m = monitor_of(a) + (a.monitor_mode == "auto" ? "" : " (" + a.monitor_mode + ")");
  if (a.early_stopping)
    parts.push_back("early stopping on " + m + " after " + epochs_text(*a.early_stopping) +
                    (a.restore_best_weights ? ", restoring the best weights" : ""));
  if (a.plateau)
    parts.push_back("lr x" + detail::cat(a.plateau_factor) + " after " + epochs_text(*a.plateau) +
                    " without a better " + m);
  if (a.save_best_only) parts.push_back("--save keeps the best " + m);
  else if (is_epoch_pattern(a.save)) parts.push_back("a checkpoint per epoch, " + a.save);
  if (!a.csv_log.empty()) parts.push_back("CSV log " + a.csv_log);
  std::string text;
  for (const std::string& p : parts) text += (text.empty() ? "" : "; ") + p;
  return text;
}

TrainCallbacks add_train_callbacks(const TrainArgs& a, FitOptions& fo, bool resumed,
                                   std::function<CheckpointInfo(const EpochStats&)> info) {
  TrainCallbacks cb;
  const std::string monitor = monitor_of(a);
  const MonitorMode mode = parse_monitor_mode(a.monitor_mode);
  if (a.early_stopping) {
    EarlyStoppingOptions o;
    o.monitor = monitor, o.mode = mode, o.patience = *a.early_stopping;
    o.min_delta = a.min_delta, o.restore_best_weights = a.restore_best_weights;
    fo.callbacks.push_back(cb.stopper = std::make_shared<EarlyStopping>(o));
  }
  if (a.plateau) {
    ReduceLrOnPlateauOptions o;
    o.monitor = monitor, o.mode = mode, o.patience = *a.plateau, o.factor = a.plateau_factor;
    o.min_lr = a.plateau_min_lr, o.cooldown = a.plateau_cooldown, o.min_delta = a.plateau_min_delta;
    if (!a.quiet)
      o.on_reduce = [monitor, patience = *a.plateau](int epoch, double old_lr, double new_lr) {
        std::printf("epoch %d: %s has not improved for %s: lr %g -> %g\n", epoch, monitor.c_str(),
                    epochs_text(patience).c_str(), old_lr, new_lr);
      };
    fo.callbacks.push_back(std::make_shared<ReduceLrOnPlateau>(o));
  }
  if (!a.save.empty()) {
    ModelCheckpointOptions o;
    o.filepath = a.save, o.monitor = monitor, o.mode = mode, o.save_best_only = a.save_best_only;
    o.info = [info = std::move(info)](const EpochStats& e, const TrainState&) { return info(e); };
    fo.callbacks.push_back(cb.saver = std::make_shared<ModelCheckpoint>(o));
  }
  if (!a.csv_log.empty()) fo.callbacks.push_back(std::make_shared<CsvLogger>(a.csv_log, resumed));
  cb.save_on_interrupt = !a.save.empty() && !a.save_best_only && !is_epoch_pattern(a.save);
  return cb;
}

void report_early_stopping(const TrainArgs& a, const EarlyStopping& stopper) {
  const std::string monitor = monitor_of(a);
  if (stopper.stopped_epoch())
    std::printf("early stopping: %s has not improved for %s: stopped after epoch %d of %d\n", monitor.c_str(),
                epochs_text(*a.early_stopping).c_str(), stopper.stopped_epoch(), a.epochs);
  if (stopper.restored_epoch())
    std::printf("early stopping: restored the weights of epoch %d (%s %.4f)\n", stopper.restored_epoch(),
                monitor.c_str(), stopper.best());
  else if (a.restore_best_weights && stopper.best_epoch())
    std::printf("early stopping: the best epoch, %d, came before the resume: its weights are not held here, so the "
                "model keeps its last epoch's\n",
                stopper.best_epoch());
}

}  // namespace cudanet::app
