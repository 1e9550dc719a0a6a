#pragma once
#include "core/tensor.h"
#include "kernels/common/matmul.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// c (m, n) = alpha * op(a) · op(b) + beta * c; p.algo is ignored.
CUDANET_CPU_KERNEL(matmul_forward, void(const Tensor& c, const Tensor& a, const Tensor& b, const MatmulParams& p));
}  // namespace cudanet::cpu
