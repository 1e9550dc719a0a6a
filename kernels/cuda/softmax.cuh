#pragma once
// Launcher order: outputs, inputs, params. p.algo is the entry point's choice
// (core/ops/softmax.cpp); the launchers ignore it.
#include "core/tensor.h"
#include "kernels/common/softmax.h"

namespace cudanet::cuda {
// Hand-written kernels (softmax.cu), the same contract as cpu::softmax_*:
// y (rows, cols) = softmax or log_softmax of x along cols
void softmax_forward(const Tensor& y, const Tensor& x, const SoftmaxParams& p);
// softmax: dx = y * (dy - sum(dy * y)); log_softmax: dx = dy - exp(y) * sum(dy)
void softmax_backward(const Tensor& dx, const Tensor& y, const Tensor& dy, const SoftmaxParams& p);

// cuDNN (cudnn_softmax.cpp), the same contract.
void cudnn_softmax_forward(const Tensor& y, const Tensor& x, const SoftmaxParams& p);
void cudnn_softmax_backward(const Tensor& dx, const Tensor& y, const Tensor& dy, const SoftmaxParams& p);

}  // namespace cudanet::cuda
