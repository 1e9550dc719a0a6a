#pragma once
// CPU element-wise kernels. Launcher order: outputs, inputs, params.
#include "core/tensor.h"
#include "kernels/common/elementwise_math.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
CUDANET_CPU_KERNEL(unary_forward, void(const Tensor& y, const Tensor& x, const UnaryParams& p));
CUDANET_CPU_KERNEL(unary_backward,
                   void(const Tensor& dx, const Tensor& x, const Tensor& y, const Tensor& dy, const UnaryParams& p));
// y may alias a
CUDANET_CPU_KERNEL(binary_forward, void(const Tensor& y, const Tensor& a, const Tensor& b, const BinaryParams& p));
CUDANET_CPU_KERNEL(fill, void(const Tensor& y, double value));
CUDANET_CPU_KERNEL(cast, void(const Tensor& y, const Tensor& x));
}  // namespace cudanet::cpu
