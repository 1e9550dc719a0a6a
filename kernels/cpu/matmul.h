#pragma once
#include "core/tensor.h"
#include "kernels/common/matmul.h"

namespace cudanet::cpu {
// c (m, n) = alpha * op(a) · op(b) + beta * c; p.algo is ignored.
void matmul_forward(const Tensor& c, const Tensor& a, const Tensor& b, const MatmulParams& p);
}  // namespace cudanet::cpu
