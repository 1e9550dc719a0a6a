// matmul cases: every transpose combination through the entry point, forward
// and both gradients, with every algorithm; and the launchers' alpha and beta,
// which the entry point fixes at 1 and 0 but the convolution and the
// benchmarks use.
#include <tuple>

#include "backend_ops.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cuda/matmul.cuh"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

namespace {

// A float32 dot product of length K rounds like a random walk: relative error
// ~ sqrt(K) * 6e-8 per side, 1.4e-6 at K = 576 (measured 6e-7 at K = 1031 for
// one GPU thread's sequential sum, test_matmul.cpp). 1e-5 leaves a 7x margin
// and still shows one wrong element in 10^4 (~1e-2). The gradients are GEMMs
// of the same sizes. float64: sqrt(K) * 1.1e-16.
constexpr double kTol = 1e-5, kTol64 = 1e-12;

struct Gemm {
  int64_t m, k, n;
};

// 1x1x1, primes (the small tile), K not a multiple of 4 (no vector loads),
// medium and large tiles on the emulated device's 4 SMs, and the reference
// model's dense layers (64x576)·(576x64) and (64x64)·(64x10).
const Gemm kGemms[] = {{1, 1, 1}, {7, 13, 5}, {127, 129, 131}, {200, 64, 260}, {64, 576, 64}, {64, 64, 10}};

std::string label(const Gemm& g, bool ta, bool tb, DType dt) {
  return "m " + std::to_string(g.m) + " k " + std::to_string(g.k) + " n " + std::to_string(g.n) +
         (ta ? " ta" : "") + (tb ? " tb" : "") + (dt == DType::f64 ? " float64" : "");
}

// Operands stored as matmul(a, b, ta, tb) expects them for op(A) (m, k), op(B) (k, n).
std::pair<Tensor, Tensor> operands(Inputs& in, const Gemm& g, bool ta, bool tb, DType dt) {
  Tensor a = in.normal(ta ? Shape{g.k, g.m} : Shape{g.m, g.k}, dt);
  Tensor b = in.normal(tb ? Shape{g.n, g.k} : Shape{g.k, g.n}, dt);
  return {a, b};
}

// The launcher the algorithm names, on the operands' device.
void gemm(Algo algo, const Tensor& c, const Tensor& a, const Tensor& b, const MatmulParams& p) {
#ifdef CUDANET_WITH_CUDA
  if (c.device().is_cuda())
    return algo == Algo::Cublas ? cuda::cublas_matmul_forward(c, a, b, p) : cuda::matmul_forward(c, a, b, p);
#endif
  (void)algo;
  cpu::matmul_forward(c, a, b, p);
}

}  // namespace

CUDANET_BACKEND_OPS(matmul) {
  std::vector<Case> cases;
  for (DType dt : {DType::f32, DType::f64})
    for (const Gemm& g : kGemms) {
      if (dt == DType::f64 && g.m * g.n > 5000) continue;
      const double tol = dt == DType::f32 ? kTol : kTol64;
      for (bool ta : {false, true})
        for (bool tb : {false, true})
          cases.push_back({.entry = "matmul",
                           .name = label(g, ta, tb, dt),
                           .algos = {Algo::Native, Algo::Cublas, Algo::Auto},
                           .outputs = {{"y", tol}, {"da", tol}, {"db", tol}},
                           .run = [g, ta, tb, dt](Inputs& in, Algo algo) -> std::vector<Tensor> {
                             auto [a, b] = operands(in, g, ta, tb, dt);
                             a = in.leaf(a), b = in.leaf(b);
                             Tensor y = matmul(a, b, ta, tb, algo);
                             in.backward(y);
                             return {y, a.grad(), b.grad()};
                           }});
    }
  // An empty inner dimension: y is zeros (a fill, not a GEMM), the gradients empty.
  cases.push_back({.entry = "matmul",
                   .name = "m 5 k 0 n 3",
                   .algos = {Algo::Native, Algo::Cublas, Algo::Auto},
                   .outputs = {{"y", 0}, {"da", 0}, {"db", 0}},
                   .run = [](Inputs& in, Algo algo) -> std::vector<Tensor> {
                     Tensor a = in.leaf(in.normal({5, 0})), b = in.leaf(in.normal({0, 3}));
                     Tensor y = matmul(a, b, false, false, algo);
                     in.backward(y);
                     return {y, a.grad(), b.grad()};
                   }});
  // alpha and beta on the launchers, c holding random values: one more
  // multiply-add per element on top of the dot product's rounding.
  for (const Gemm& g : {Gemm{7, 13, 5}, Gemm{67, 36, 52}})
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (DType dt : {DType::f32, DType::f64})
          cases.push_back({.entry = "matmul_forward",
                           .name = label(g, ta, tb, dt) + " alpha 0.75 beta -1.5",
                           .algos = {Algo::Native, Algo::Cublas},
                           .outputs = {{"c", dt == DType::f32 ? kTol : kTol64}},
                           .run = [g, ta, tb, dt](Inputs& in, Algo algo) -> std::vector<Tensor> {
                             auto [a, b] = operands(in, g, ta, tb, dt);
                             Tensor c = in.normal({g.m, g.n}, dt);
                             MatmulParams p;
                             p.m = g.m, p.n = g.n, p.k = g.k, p.trans_a = ta, p.trans_b = tb;
                             p.alpha = 0.75, p.beta = -1.5;
                             gemm(algo, c, a, b, p);
                             return {c};
                           }});
  return cases;
}
