#pragma once
// cudanet-train's commands, behind the argument parsing in cudanet_train.cpp.
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "train/fit.h"

namespace cudanet::app {

struct TrainArgs {
  std::string data, model = "seed-cnn", optimizer = "adam";
  int epochs = 5, batch_size = 64, threads = 0;
  double lr = -1, momentum = -1, weight_decay = -1, val_split = 0.1, clip_norm = 0;
  std::string device = "auto", conv_algo = "auto", gemm_algo = "auto", pool_algo = "auto";
  uint64_t seed = 0;
  int64_t limit = 0;
  std::string save, resume, log, plot;
  bool quiet = false, standardize = false, tf32 = false;
  bool terminate_on_nan = true;  // Keras's TerminateOnNaN, on unless --no-terminate-on-nan
  std::string loss = "cross_entropy";
  double label_smoothing = 0;
  // Keras's callbacks; an unset optional is a callback not asked for.
  std::string monitor, monitor_mode = "auto", csv_log;
  std::optional<int> early_stopping, plateau;  // the patience of each
  double min_delta = 0, plateau_factor = 0.1, plateau_min_lr = 0, plateau_min_delta = 1e-4;
  int plateau_cooldown = 0;
  bool restore_best_weights = false, save_best_only = false;
  // Data-parallel over the processes of mpirun (dist/); --batch-size is per process.
  bool distributed = false;
  // Learning-rate schedule (optim/schedule.h); an unset field is one the flags left out.
  std::string lr_schedule = "constant";
  int64_t warmup_steps = 0;
  std::optional<int64_t> lr_step_size, lr_decay_steps;
  std::optional<double> lr_gamma, lr_min;
  // The flags on the command line ("--lr", ...): a resumed run takes what is not
  // given from its checkpoint, and checks or honours what is.
  std::set<std::string> given;
  bool has(const std::string& flag) const { return given.count(flag) > 0; }
};

struct EvalArgs {
  std::string data, checkpoint, device = "auto";
  int batch_size = kEvalBatchSize;
};

struct PredictArgs {
  std::string checkpoint, images, output, device = "auto";
  int batch_size = kEvalBatchSize;
  int top_k = 0;  // 0: --top-k not given
};

// A command line that cannot run as written (flags that do not go together, or
// that contradict the checkpoint being resumed): exit status 2, as a parse error.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws UsageError (exit status 2) unless `ok`, with the parts joined.
template <class... Args>
void usage_check(bool ok, const Args&... parts) {
  if (!ok) throw UsageError(detail::cat(parts...));
}

int run_train(const TrainArgs& a);
int run_eval(const EvalArgs& a);
int run_predict(const PredictArgs& a);

// Exit code after Ctrl-C (128 + SIGINT), as a shell reports it.
constexpr int kInterrupted = 130;

}  // namespace cudanet::app
