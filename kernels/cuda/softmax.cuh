#pragma once
// Launcher order: outputs, inputs, params.
#include "core/tensor.h"
#include "kernels/common/softmax.h"

namespace cudanet::cuda {
// The algorithm choice: p.algo Native, Cudnn, or Auto (measured once per shape).
// y (rows, cols) = softmax or log_softmax of x along cols
void softmax_forward(const Tensor& y, const Tensor& x, const SoftmaxParams& p);
// softmax: dx = y * (dy - sum(dy * y)); log_softmax: dx = dy - exp(y) * sum(dy)
void softmax_backward(const Tensor& dx, const Tensor& y, const Tensor& dy, const SoftmaxParams& p);

// Hand-written kernels (softmax.cu).
void softmax_forward_native(const Tensor& y, const Tensor& x, const SoftmaxParams& p);
void softmax_backward_native(const Tensor& dx, const Tensor& y, const Tensor& dy, const SoftmaxParams& p);
// cuDNN (cudnn_softmax.cpp).
void softmax_forward_cudnn(const Tensor& y, const Tensor& x, const SoftmaxParams& p);
void softmax_backward_cudnn(const Tensor& dx, const Tensor& y, const Tensor& dy, const SoftmaxParams& p);
}  // namespace cudanet::cuda
