#pragma once
#include <vector>

#include "core/tensor.h"
#include "kernels/common/clip_grad_norm.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// norm (shape (), the gradients' dtype) = global norm of grads before clipping;
// grads are scaled in place. All grads share one dtype.
CUDANET_CPU_KERNEL(clip_grad_norm,
                   void(const Tensor& norm, const std::vector<Tensor>& grads, const ClipGradNormParams& p));
}  // namespace cudanet::cpu
