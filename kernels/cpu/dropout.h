#pragma once
// Launcher order: outputs, inputs, params.
#include "core/tensor.h"
#include "kernels/common/dropout.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// y = x * scale where the mask keeps, 0 elsewhere. Backward is the same map
// applied to dy (same params, so the same mask).
CUDANET_CPU_KERNEL(dropout_forward, void(const Tensor& y, const Tensor& x, const DropoutParams& p));
}  // namespace cudanet::cpu
