#pragma once
// Raw-pointer entries of the hand-written GEMM kernels, for other kernels that
// need a GEMM on buffers that are not whole tensors (im2col convolution).
// Internal header: includes the CUDA runtime.
#include <cuda_runtime.h>

namespace cudanet::cuda {

// Row-major C (M, N) = alpha * op(A) · op(B) + beta * C with op(A) (M, K), op(B) (K, N).
// A is stored (M, K) with row stride lda, or (K, M) when ta; B is stored (K, N)
// with row stride ldb, or (N, K) when tb; C has row stride ldc. beta == 0 never
// reads C. Float4 loads and stores are used where a leading dimension is a
// multiple of 4 and its pointer 16-byte aligned, scalar ones elsewhere.
// Ordered on `stream`; throws cudanet::Error on a bad launch.
void sgemm_native(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                  int ldb, float beta, float* C, int ldc, cudaStream_t stream);
void dgemm_native(bool ta, bool tb, int M, int N, int K, double alpha, const double* A, int lda,
                  const double* B, int ldb, double beta, double* C, int ldc, cudaStream_t stream);

}  // namespace cudanet::cuda
