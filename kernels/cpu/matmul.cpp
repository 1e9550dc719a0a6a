#include "kernels/cpu/matmul.h"

#include <Eigen/Core>

#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

namespace {

template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Eigen's GEMM parallelises itself with OpenMP; the transposes are views, so
// every combination runs the same blocked kernel without copying an operand.
template <class T, class OpA, class OpB>
void gemm(Eigen::Map<RowMajor<T>>& c, const OpA& a, const OpB& b, T alpha, T beta) {
  if (beta == T(0)) {
    c.noalias() = alpha * a * b;  // overwrites: c may hold NaN poison
  } else {
    c *= beta;
    c.noalias() += alpha * a * b;
  }
}

}  // namespace

void matmul_forward(const Tensor& c, const Tensor& a, const Tensor& b, const MatmulParams& p) {
  dispatch_floating(a.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    const Eigen::Index m = p.m, n = p.n, k = p.k;
    Eigen::Map<const RowMajor<T>> am(a.data<T>(), p.trans_a ? k : m, p.trans_a ? m : k);  // (m, k) or (k, m)
    Eigen::Map<const RowMajor<T>> bm(b.data<T>(), p.trans_b ? n : k, p.trans_b ? k : n);  // (k, n) or (n, k)
    Eigen::Map<RowMajor<T>> cm(c.data<T>(), m, n);                                         // (m, n)
    const T alpha = static_cast<T>(p.alpha), beta = static_cast<T>(p.beta);
    if (p.trans_a && p.trans_b) gemm(cm, am.transpose(), bm.transpose(), alpha, beta);
    else if (p.trans_a) gemm(cm, am.transpose(), bm, alpha, beta);
    else if (p.trans_b) gemm(cm, am, bm.transpose(), alpha, beta);
    else gemm(cm, am, bm, alpha, beta);
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
