#pragma once
// Training checkpoints: the model's parameters and buffers, the optimizer's
// state, the position in training (epoch, batch, step), the RNG state, the model
// description and the format version, in one safetensors file written
// atomically. Tensors are named "model.<param>", "buffer.<name>" and
// "optim.<state>", so `safetensors.torch.load_file` hands a PyTorch user the
// weights under the names torch.nn.Sequential uses, behind "model.".
#include <map>
#include <string>

#include "layers/module.h"
#include "optim/optimizer.h"
#include "train/fit.h"

namespace cudanet {

// Bumped whenever the layout of a checkpoint changes; checked on load.
constexpr int kCheckpointFormatVersion = 1;

struct CheckpointInfo {
  std::string model;      // the model description
  std::string optimizer;  // optimizer name ("adam", ...)
  TrainPosition position;
  uint64_t seed = 0;      // the run's shuffle seed
  uint64_t rng_seed = 0, rng_offset = 0;  // default_generator's state (dropout)
  double lr = 0;
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
// Copies the checkpoint's weights into `model`; every mismatch of names,
// shapes or dtypes is reported in one error naming the file.
void restore_model(Module& model, const Checkpoint& ckpt, const std::string& path);
void restore_optimizer(Optimizer& optimizer, const Checkpoint& ckpt, const std::string& path);

}  // namespace cudanet
