#pragma once
#include "core/tensor.h"
#include "kernels/common/random_math.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
CUDANET_CPU_KERNEL(random_fill, void(const Tensor& y, const RandomParams& p));
}  // namespace cudanet::cpu
