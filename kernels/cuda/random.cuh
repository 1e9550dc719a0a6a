#pragma once
#include "core/tensor.h"
#include "kernels/common/random_math.h"

namespace cudanet::cuda {
void random_fill(const Tensor& y, const RandomParams& p);
}  // namespace cudanet::cuda
