#pragma once
#include <vector>

#include "core/tensor.h"
#include "kernels/common/optim_step.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// Updates every described parameter and its state in place. descs_on_device is
// the CUDA backend's copy of descs; the CPU backend reads descs itself.
CUDANET_CPU_KERNEL(optim_step, void(const std::vector<OptimTensorDesc>& descs, const Tensor& descs_on_device,
                                    const OptimStepParams& p));
}  // namespace cudanet::cpu
