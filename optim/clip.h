#pragma once
// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_).
#include <vector>

#include "core/tensor.h"

namespace cudanet {

// Scales the gradients of `params` in place by min(1, max_norm / (norm + 1e-6)),
// norm = the L2 norm of all their gradients together; parameters without a
// gradient are skipped. Returns that norm (before clipping) as a shape () tensor
// of the gradients' dtype on their device, for logging: on CUDA nothing is read
// back and the host never waits (the scaling kernel reads the norm from device
// memory). max_norm must be finite and > 0.
Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm);

}  // namespace cudanet
