#pragma once
// Launcher order: outputs, inputs, params. p.algo is the entry point's choice
// (core/ops/matmul.cpp); the launchers ignore it.
#include "core/tensor.h"
#include "kernels/common/matmul.h"

namespace cudanet::cuda {
// Hand-written tiled kernels (matmul.cu), the same contract as cpu::matmul_forward:
// c (m, n) = alpha * op(a) · op(b) + beta * c on the device's compute stream.
// Contiguous tensors.
void matmul_forward(const Tensor& c, const Tensor& a, const Tensor& b, const MatmulParams& p);
// cuBLAS (cublas_matmul.cpp), the same contract; honours allow_tf32().
void cublas_matmul_forward(const Tensor& c, const Tensor& a, const Tensor& b, const MatmulParams& p);
}  // namespace cudanet::cuda
