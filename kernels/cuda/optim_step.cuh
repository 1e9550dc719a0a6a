#pragma once
#include <vector>

#include "core/tensor.h"
#include "kernels/common/optim_step.h"

namespace cudanet::cuda {
// Updates every described parameter and its state in place with ONE launch.
// descs_on_device (uint8, on the parameters' device) holds the bytes of descs,
// uploaded by the caller once per parameter set so this call allocates nothing
// and never syncs (capturable in a CUDA graph).
void optim_step(const std::vector<OptimTensorDesc>& descs, const Tensor& descs_on_device, const OptimStepParams& p);
}  // namespace cudanet::cuda
