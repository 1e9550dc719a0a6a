#pragma once
#include "core/tensor.h"
#include "kernels/common/bias.h"

namespace cudanet::cuda {
void bias_add_forward(const Tensor& y, const Tensor& x, const Tensor& bias, const BiasParams& p);  // y may alias x
void bias_add_backward(const Tensor& dbias, const Tensor& dy, const BiasParams& p);  // dbias = sum over n, inner
}  // namespace cudanet::cuda
