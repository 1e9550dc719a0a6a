#pragma once
#include <vector>

#include "core/tensor.h"
#include "kernels/common/clip_grad_norm.h"

namespace cudanet::cpu {
// norm (shape (), the gradients' dtype) = global norm of grads before clipping;
// grads are scaled in place. All grads share one dtype.
void clip_grad_norm(const Tensor& norm, const std::vector<Tensor>& grads, const ClipGradNormParams& p);
}  // namespace cudanet::cpu
