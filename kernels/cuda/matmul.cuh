#pragma once
#include "core/tensor.h"
#include "kernels/common/matmul.h"

namespace cudanet::cuda {
// c (m, n) = alpha * op(a) · op(b) + beta * c on the device's compute stream, by
// p.algo: Native (hand-written tiled kernels) or Cublas. Contiguous tensors.
void matmul_forward(const Tensor& c, const Tensor& a, const Tensor& b, const MatmulParams& p);
// The cuBLAS path alone (kernels/cuda/cublas_matmul.cpp); honours allow_tf32().
void cublas_matmul_forward(const Tensor& c, const Tensor& a, const Tensor& b, const MatmulParams& p);
}  // namespace cudanet::cuda
