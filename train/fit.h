#pragma once
// The training loop: fit(), evaluate(), predict().
//
// A training step (zero_grad, forward, loss, backward, optional clipping,
// optimizer step, metric accumulation) issues device work only: no host sync
// and no data-dependent host branching. The running loss and the confusion
// matrix stay on the device and are read back only when a progress line or an
// epoch summary is printed.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/dataset.h"
#include "layers/module.h"
#include "optim/optimizer.h"
#include "train/callbacks.h"
#include "train/epoch_stats.h"
#include "train/metrics.h"

namespace cudanet {

class Communicator;
class LrSchedule;

using LossFn = std::function<Tensor(const Tensor& logits, const Tensor& labels)>;

// The largest epoch count and batch size a run may ask for: the trainer's flags
// and a checkpoint's metadata are both checked against these.
constexpr int kMaxEpochs = 100000;
constexpr int kMaxBatchSize = 1 << 20;

// Where fit() is, for checkpoints and exact resumption.
struct TrainPosition {
  int epoch = 0;             // 0-based epoch in progress
  int64_t batch = 0;         // batches of that epoch already done
  int64_t global_step = 0;   // optimizer steps so far
};

struct FitOptions {
  int epochs = 5;
  int batch_size = 64;
  uint64_t seed = 0;         // per-epoch shuffle: the permutation of epoch e comes from (seed, e)
  bool shuffle = true;
  bool drop_last = false;    // Keras keeps the last partial batch
  double clip_norm = 0;      // gradient clipping by global norm; 0 = off
  const LrSchedule* schedule = nullptr;  // sets the learning rate before every step
  TrainPosition resume;      // start here (from a checkpoint)
  bool device_resident = true;  // on CUDA, keep the whole dataset on the device

  // Called about 4 times a second with host-read numbers, only when set (the
  // trainer's progress bar); reading them is the only sync inside an epoch.
  std::function<bool()> progress_due;
  std::function<void(int epoch, int64_t done, int64_t total, double loss, double accuracy)> on_progress;
  std::function<void(const EpochStats&)> on_epoch_end;
  // Polled after every step and after on_epoch_end (host flag, e.g. set by
  // SIGINT); when it returns true fit() stops there and reports where through
  // `stopped_at` (batch 0 of the next epoch when it stops at an epoch's end).
  std::function<bool()> should_stop;
  TrainPosition* stopped_at = nullptr;
  // Called after every optimizer step with the position reached (checkpointing).
  std::function<void(const TrainPosition&)> on_step;
  // Keras's TerminateOnNaN: stop with NonFiniteLossError when the running loss
  // stops being finite. It is read back at every progress report, at least every
  // kNanCheckSeconds without one, and at every epoch's end, before on_epoch_end,
  // so a non-finite model is never reported or checkpointed as an epoch.
  bool terminate_on_nan = true;
  // Keras-style callbacks (train/callbacks.h), called in this order after
  // on_epoch_end; any of them may stop training or scale the learning rate.
  // When a callback is given, fit() sets the rate before every step: the
  // schedule's, or the optimizer's rate at the start, times TrainState::lr_scale.
  std::vector<std::shared_ptr<Callback>> callbacks;
  // The epochs a resumed run has already trained (its checkpoint's history):
  // the callbacks replay them to go on where they were.
  std::vector<EpochStats> history;
  // Data-parallel training across the ranks of `comm` (dist/data_parallel.h),
  // as PyTorch's DistributedDataParallel: batch_size is per rank, so a global
  // batch holds comm->size() times as many samples; rank 0's model and
  // optimizer state are broadcast at the start (also of a resumed run); the
  // gradients are averaged over each global batch before the optimizer step;
  // and the epoch's training and validation metrics are summed over the ranks,
  // so every rank returns the EpochStats one process at the global batch would.
  // Every rank passes the same options, except that the reporting hooks
  // (on_progress, on_epoch_end, on_step, callbacks that only write) may be set
  // on rank 0 alone: progress shows rank 0's own running loss and accuracy.
  // should_stop and a callback's stop are agreed: a stop any rank sees stops
  // every rank after the same step. Callbacks that change the learning rate
  // belong on every rank.
  Communicator* comm = nullptr;
};

constexpr double kNanCheckSeconds = 1.0;

// Thrown by fit() when the loss became NaN or infinite (terminate_on_nan).
class NonFiniteLossError : public Error {
 public:
  NonFiniteLossError(const std::string& message, TrainPosition at) : Error(message), at_(at) {}
  const TrainPosition& at() const { return at_; }  // where it was found

 private:
  TrainPosition at_;
};

// The batch size of evaluate() and predict() unless one is given: the trainer's
// test pass and its eval and predict commands use it too, so they agree.
constexpr int kEvalBatchSize = 256;

// Trains `model` (already on its device) with `optimizer`; returns one entry per
// epoch run. `val` may be empty (no validation). The metrics count
// train.num_classes classes.
std::vector<EpochStats> fit(Module& model, Optimizer& optimizer, const LossFn& loss, const Dataset& train,
                            const Dataset& val, const FitOptions& options);

// Optimizer steps in one epoch of fit() over `train`: what the loader will give.
int64_t steps_per_epoch(const Dataset& train, const FitOptions& options);

// Loss and classification metrics over a dataset (data.num_classes classes), in
// eval mode, without gradients. With `comm`, each rank evaluates its share of
// the dataset (batch_size rows of each global batch) and the sums are reduced:
// every rank returns the metrics of the whole dataset.
Metrics evaluate(Module& model, const LossFn& loss, const Dataset& data, int batch_size = kEvalBatchSize,
                 Communicator* comm = nullptr);

// Predicted classes (int32, on the CPU) for images (N, C, H, W).
Tensor predict(Module& model, const Tensor& images, int batch_size = kEvalBatchSize);

// The softmax of the model's logits for images (N, C, H, W): (N, K) float32 on
// the CPU, each row summing to 1. Eval mode, no gradients, batched as predict().
// No images give (0, 0): the class count comes from a forward pass.
Tensor predict_probabilities(Module& model, const Tensor& images, int batch_size = kEvalBatchSize);

// The default loss: sparse categorical cross-entropy from logits.
LossFn cross_entropy_loss();

}  // namespace cudanet
