// The cuBLAS path of matmul. cuBLAS is column-major: a row-major (r, c) buffer
// is, to it, the column-major (c, r) transpose. So row-major C = op(A) · op(B)
// is computed as column-major C^T (n, m) = op(B)^T · op(A)^T, passing B first,
// with the same transpose flags and the row-major leading dimensions.
#include <algorithm>
#include <climits>
#include <type_traits>

#include "core/algo.h"
#include "core/cuda/context.h"
#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/matmul.cuh"

namespace cudanet::cuda {

void cublas_matmul_forward(const Tensor& c, const Tensor& a, const Tensor& b, const MatmulParams& p) {
  CUDANET_CHECK(p.m <= INT_MAX && p.n <= INT_MAX && p.k <= INT_MAX, "matmul (cublas): sizes m=", p.m, " n=", p.n,
                " k=", p.k, " exceed cuBLAS's 32-bit range");
  if (p.m == 0 || p.n == 0) return;
  const int m = static_cast<int>(p.m), n = static_cast<int>(p.n), k = static_cast<int>(p.k);
  // cuBLAS rejects a leading dimension below 1, which k == 0 would give.
  const int lda = std::max(1, p.trans_a ? m : k), ldb = std::max(1, p.trans_b ? k : n);
  const cublasOperation_t op_a = p.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = p.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasHandle_t h = ctx_of(c).cublas();
  dispatch_floating(c.dtype(), "matmul (cublas)", [&](auto tag) {
    using T = decltype(tag);
    const T alpha = static_cast<T>(p.alpha), beta = static_cast<T>(p.beta);
    if constexpr (std::is_same_v<T, float>) {
      // TF32 rounds the inputs to 10 mantissa bits: only when the user opted in.
      CUDANET_CUBLAS_CHECK(cublasSetMathMode(h, allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
      CUDANET_CUBLAS_CHECK(cublasSgemm(h, op_b, op_a, n, m, k, &alpha, b.data<float>(), ldb, a.data<float>(), lda,
                                       &beta, c.data<float>(), n));
    } else {
      CUDANET_CUBLAS_CHECK(cublasDgemm(h, op_b, op_a, n, m, k, &alpha, b.data<double>(), ldb, a.data<double>(),
                                       lda, &beta, c.data<double>(), n));
    }
  });
}

}  // namespace cudanet::cuda
