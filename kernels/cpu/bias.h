#pragma once
#include "core/tensor.h"
#include "kernels/common/bias.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// y may alias x
CUDANET_CPU_KERNEL(bias_add_forward, void(const Tensor& y, const Tensor& x, const Tensor& bias, const BiasParams& p));
// dbias = sum over n, inner
CUDANET_CPU_KERNEL(bias_add_backward, void(const Tensor& dbias, const Tensor& dy, const BiasParams& p));
}  // namespace cudanet::cpu
