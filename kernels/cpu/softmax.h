#pragma once
// Launcher order: outputs, inputs, params. The CPU ignores p.algo.
#include "core/tensor.h"
#include "kernels/common/softmax.h"

namespace cudanet::cpu {
// y (rows, cols) = softmax or log_softmax of x along cols
void softmax_forward(const Tensor& y, const Tensor& x, const SoftmaxParams& p);
// softmax: dx = y * (dy - sum(dy * y)); log_softmax: dx = dy - exp(y) * sum(dy)
void softmax_backward(const Tensor& dx, const Tensor& y, const Tensor& dy, const SoftmaxParams& p);
}  // namespace cudanet::cpu
