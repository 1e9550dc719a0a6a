#pragma once
// Launcher order: outputs, inputs, params. The CPU ignores p.algo.
#include "core/tensor.h"
#include "kernels/common/softmax.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// y (rows, cols) = softmax or log_softmax of x along cols
CUDANET_CPU_KERNEL(softmax_forward, void(const Tensor& y, const Tensor& x, const SoftmaxParams& p));
// softmax: dx = y * (dy - sum(dy * y)); log_softmax: dx = dy - exp(y) * sum(dy)
CUDANET_CPU_KERNEL(softmax_backward, void(const Tensor& dx, const Tensor& y, const Tensor& dy, const SoftmaxParams& p));
}  // namespace cudanet::cpu
