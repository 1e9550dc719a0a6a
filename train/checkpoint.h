#pragma once
// Training checkpoints: the model's parameters and buffers, the optimizer's
// state, the position in training (epoch, batch, step), the RNG state, the model
// description, what inference needs (input scaling, class count, input shape),
// the run's settings a resume keeps, and the format version, in one safetensors
// file written atomically. Tensors are named "model.<param>", "buffer.<name>" and
// "optim.<state>", so `safetensors.torch.load_file` hands a PyTorch user the
// weights under the names torch.nn.Sequential uses, behind "model.".
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "layers/module.h"
#include "optim/optimizer.h"
#include "train/fit.h"

namespace cudanet {

// Bumped whenever the layout of a checkpoint changes; checked on load.
constexpr int kCheckpointFormatVersion = 1;

// How raw pixels become a model's input, as load_mnist makes them:
// x = (pixel / 255 - mean) / stddev; mean 0 and stddev 1 when not standardised.
struct InputScaling {
  float mean = 0.0f, stddev = 1.0f;
  bool standardized() const { return mean != 0.0f || stddev != 1.0f; }
};

struct CheckpointInfo {
  std::string model;      // the model description
  std::string optimizer;  // optimizer name ("adam", ...)
  TrainPosition position;
  uint64_t seed = 0;      // the run's shuffle seed
  uint64_t rng_seed = 0, rng_offset = 0;  // default_generator's state (dropout)
  double lr = 0;          // the rate of the last step
  // What inference needs besides the weights and the description. Checkpoints
  // written before these were stored read as unstandardised (input_known false),
  // 10 classes and an unrecorded input shape: the behaviour of that time.
  InputScaling input;
  bool input_known = true;
  int num_classes = 10;
  Shape input_shape;      // (C, H, W); no dimensions when not recorded
  // The run's settings that a resume keeps; unset when not recorded.
  std::optional<int> epochs;               // the epochs the run was asked for
  std::optional<int64_t> batch_size;
  std::optional<int64_t> train_size;       // training images
  std::optional<double> base_lr;           // the rate before any schedule
  // The loss trained (train/losses.h): eval reports it, a resume goes on with it.
  // Checkpoints from before it was stored read as cross_entropy without smoothing.
  std::string loss = "cross_entropy";
  double label_smoothing = 0;
  // The epochs completed so far (at most position.epoch of them), so a resumed
  // run's plot and log show the whole run.
  std::vector<EpochStats> history;
  std::map<std::string, std::string> extra;  // anything else in __metadata__
};

void save_checkpoint(const std::string& path, const Module& model, const Optimizer* optimizer,
                     const CheckpointInfo& info);

struct Checkpoint {
  CheckpointInfo info;
  NamedTensors tensors;  // on the CPU
};

// Reads and validates a checkpoint (format version, required metadata).
Checkpoint read_checkpoint(const std::string& path);
// The metadata a checkpoint stores for `info` (the optimizer's name and rate
// when one is given), and back: checkpoint_info validates every field, its range
// and its agreement with the others, naming `path` and the field when one fails.
TensorMetadata checkpoint_metadata(const CheckpointInfo& info, const Optimizer* optimizer);
CheckpointInfo checkpoint_info(const TensorMetadata& metadata, const std::string& path);
// Copies the checkpoint's weights into `model`; every mismatch of names,
// shapes or dtypes is reported in one error naming the file.
void restore_model(Module& model, const Checkpoint& ckpt, const std::string& path);
void restore_optimizer(Optimizer& optimizer, const Checkpoint& ckpt, const std::string& path);

}  // namespace cudanet
