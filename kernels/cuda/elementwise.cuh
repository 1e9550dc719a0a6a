#pragma once
// CUDA element-wise kernels (hand-written). Launcher order: outputs, inputs, params.
#include "core/tensor.h"
#include "kernels/common/elementwise_math.h"

namespace cudanet::cuda {
void unary_forward(const Tensor& y, const Tensor& x, const UnaryParams& p);
void unary_backward(const Tensor& dx, const Tensor& x, const Tensor& y, const Tensor& dy, const UnaryParams& p);
void binary_forward(const Tensor& y, const Tensor& a, const Tensor& b, const BinaryParams& p);  // y may alias a
void fill(const Tensor& y, double value);
void cast(const Tensor& y, const Tensor& x);
}  // namespace cudanet::cuda
