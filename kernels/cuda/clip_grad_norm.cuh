#pragma once
#include <vector>

#include "core/tensor.h"
#include "kernels/common/clip_grad_norm.h"

namespace cudanet::cuda {
// norm (shape (), the gradients' dtype) = global norm of grads before clipping;
// grads are scaled in place. Two launches (per 128 gradients), no host sync:
// the scale kernel reads the squared-norm partials from device memory.
void clip_grad_norm(const Tensor& norm, const std::vector<Tensor>& grads, const ClipGradNormParams& p);
}  // namespace cudanet::cuda
