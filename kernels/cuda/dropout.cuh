#pragma once
// Launcher order: outputs, inputs, params.
#include "core/tensor.h"
#include "kernels/common/dropout.h"

namespace cudanet::cuda {
// y = x * scale where the mask keeps, 0 elsewhere. Backward is the same map
// applied to dy (same params, so the same mask).
void dropout_forward(const Tensor& y, const Tensor& x, const DropoutParams& p);
}  // namespace cudanet::cuda
