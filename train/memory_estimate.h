#pragma once
// What training a model will hold in memory, estimated from its plan before
// anything is allocated, so a model too large for the machine is refused with
// the numbers instead of being killed by the kernel (issue 17).
#include <cstdint>
#include <string>

#include "core/device.h"
#include "layers/model_spec.h"

namespace cudanet {

struct MemoryEstimate {
  int64_t parameters = 0;   // weights and their gradients
  int64_t optimizer = 0;    // the optimizer's state
  int64_t activations = 0;  // layer outputs kept for backward, their gradients, and convolution workspace
  int64_t total() const;  // saturating
  // "1.2 GiB (parameters 0.4 GiB, optimizer state 0.8 GiB, activations for batch 64 12 MiB)"
  std::string text(int batch_size) const;
};

// float32 training of `spec` with batches of `batch_size` and an optimizer
// keeping `optimizer_slots` tensors per parameter (sgd with momentum 1, adam 2,
// rmsprop up to 3). Saturates instead of overflowing.
MemoryEstimate estimate_training_memory(const ModelSpec& spec, int64_t batch_size, int optimizer_slots);

// The state tensors per parameter that optimizer `name` keeps at most.
int optimizer_slots(const std::string& name);

// Throws an Error naming `what` and the numbers when `need` exceeds 90% of the
// memory free where training runs (the host for the CPU, the device for CUDA).
void require_memory(const MemoryEstimate& need, int64_t batch_size, const Device& device, const std::string& what);

// "512 B", "3.0 MiB", "1.25 GiB".
std::string bytes_text(int64_t bytes);

}  // namespace cudanet
