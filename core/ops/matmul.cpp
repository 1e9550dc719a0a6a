// Entry point of matmul: shape checks, the choice of CUDA implementation
// (hand-written, cuBLAS, or measured once per shape), and the backward
// expressed as two more matmuls with transpose flags (no copies).
#include <string>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cuda/matmul.cuh"
#ifdef CUDANET_WITH_CUDA
#include "core/cuda/autotune.h"
#endif

namespace cudanet {

namespace {

const char* yes_no(bool b) { return b ? "true" : "false"; }

// The CPU backend or the hand-written CUDA kernels through the one dispatch
// line, and on CUDA the choice between those and cuBLAS: p.algo, where Auto
// times both once per shape and keeps the faster. TF32 is in the key because
// it changes what cuBLAS runs.
void forward(const Tensor& y, const Tensor& a, const Tensor& b, const MatmulParams& p) {
  auto native = [&] { CUDANET_DISPATCH(a.device(), matmul_forward, y, a, b, p); };
#ifdef CUDANET_WITH_CUDA
  if (a.device().is_cuda()) {
    auto vendor = [&] { cuda::cublas_matmul_forward(y, a, b, p); };
    Algo algo = p.algo;
    if (algo == Algo::Auto) {
      const std::string key = std::string("gemm ") + dtype_name(a.dtype()) + " m=" + std::to_string(p.m) +
                              " n=" + std::to_string(p.n) + " k=" + std::to_string(p.k) +
                              " ta=" + yes_no(p.trans_a) + " tb=" + yes_no(p.trans_b) +
                              (a.dtype() == DType::f32 && allow_tf32() ? " tf32" : "");
      algo = cuda::autotune(y.device().index, key, {Algo::Native, Algo::Cublas},
                            [&](Algo c) { c == Algo::Cublas ? vendor() : native(); });
    }
    return algo == Algo::Cublas ? vendor() : native();
  }
#endif
  native();
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, Algo algo) {
  check_floating(a, "matmul");
  check_same_dtype(a, b, "matmul");
  check_same_device(a, b, "matmul");
  check_ndim(a, 2, "matmul", "a");
  check_ndim(b, 2, "matmul", "b");
  MatmulParams p;
  p.trans_a = trans_a;
  p.trans_b = trans_b;
  p.m = a.size(trans_a ? 1 : 0);
  p.k = a.size(trans_a ? 0 : 1);
  p.n = b.size(trans_b ? 0 : 1);
  const int64_t kb = b.size(trans_b ? 1 : 0);
  CUDANET_CHECK(p.k == kb, "matmul: inner dimensions differ: a ", a.describe(), " with trans_a=", yes_no(trans_a),
                " gives K=", p.k, " but b ", b.describe(), " with trans_b=", yes_no(trans_b), " gives K=", kb);
  p.algo = resolve_algo(OpFamily::Gemm, algo);

  Tensor y = Tensor::empty({p.m, p.n}, a.dtype(), a.device());
  if (p.k == 0) {
    fill_(y, 0.0);  // an empty sum; the kernels need K >= 1 for their leading dimensions
  } else if (p.m > 0 && p.n > 0) {
    forward(y, a, b, p);
  }

  if (any_requires_grad({&a, &b})) {
    // Y = op(A) op(B), G = dY:  d op(A) = G op(B)^T,  d op(B) = op(A)^T G;
    // where A is stored transposed its gradient is the transpose of that, which
    // (X Y)^T = Y^T X^T turns into a matmul with swapped operands.
    record(y, "matmul", {a, b},
           [a, b, trans_a, trans_b, algo, need_a = a.requires_grad(), need_b = b.requires_grad()](const Tensor& g) {
             Tensor da, db;
             if (need_a) da = trans_a ? matmul(b, g, trans_b, true, algo) : matmul(g, b, false, !trans_b, algo);
             if (need_b) db = trans_b ? matmul(g, a, true, trans_a, algo) : matmul(a, g, !trans_a, false, algo);
             return std::vector<Tensor>{da, db};
           });
  }
  return y;
}

}  // namespace cudanet
