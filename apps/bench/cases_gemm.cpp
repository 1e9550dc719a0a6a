// GEMM: the reference model's dense layers (forward, backward-data,
// backward-filter at batch 64 and 512) and square SGEMM from 512^3 to 4096^3,
// hand-written vs cuBLAS vs CPU, all through the matmul launchers.
#include <string>

#include "apps/bench/cases.h"
#include "apps/bench/reference_model.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cuda/matmul.cuh"

namespace cudanet::bench {

namespace {

// A GEMM problem: op(A) (m, k) times op(B) (k, n), A stored (k, m) when trans_a.
struct Gemm {
  int64_t m, n, k;
  bool trans_a = false, trans_b = false;
  Shape a_shape() const { return trans_a ? Shape{k, m} : Shape{m, k}; }
  Shape b_shape() const { return trans_b ? Shape{n, k} : Shape{k, n}; }
};

void add_gemm(const std::string& op, const std::string& pass, const std::string& shape, const Gemm& g,
              const std::vector<std::string>& tags, bool with_cpu) {
  OpSpec spec;
  spec.op = op;
  spec.pass = pass;
  spec.shape = shape;
  spec.work = 2.0 * g.m * g.n * g.k;
  spec.tol = gemm_tolerance();  // k <= 4096 products per output
  spec.inputs = [g] { return std::vector<Tensor>{random_tensor(g.a_shape(), 31), random_tensor(g.b_shape(), 32)}; };
  spec.bind = [g](const std::vector<Tensor>& in, Algo algo) {
    MatmulParams p;
    p.m = g.m, p.n = g.n, p.k = g.k;
    p.trans_a = g.trans_a, p.trans_b = g.trans_b;
    p.algo = algo;
    Tensor c = Tensor::empty({g.m, g.n}, DType::f32, in[0].device());
    auto run = [c, a = in[0], b = in[1], p] {
      if (a.device().is_cpu()) return cpu::matmul_forward(c, a, b, p);
#ifdef CUDANET_WITH_CUDA
      if (p.algo == Algo::Cublas) return cuda::cublas_matmul_forward(c, a, b, p);
      cuda::matmul_forward(c, a, b, p);
#endif
    };
    return Bound{run, {c}};
  };
  add_op_cases(spec, {Algo::Native, Algo::Cublas}, tags, with_cpu);
}

}  // namespace

void register_gemm_cases() {
  for (int n : kRefBatches) {
    for (const DenseShape& s : kRefDenses) {
      const std::string shape = batch_label(n, s.name);
      const std::vector<std::string> tags{"reference", "layers"};
      // y (N, out) = x (N, in) W^T; W (out, in) as torch.nn.Linear stores it.
      add_gemm("dense", "fwd", shape, {n, s.out, s.in, false, true}, tags, true);
      // dx (N, in) = dy (N, out) W
      add_gemm("dense", "bwd_data", shape, {n, s.in, s.out}, tags, true);
      // dW (out, in) = dy^T x, dy stored (N, out)
      add_gemm("dense", "bwd_filter", shape, {s.out, s.in, n, true, false}, tags, true);
    }
  }
  for (int64_t size : {512, 1024, 2048, 4096}) {
    const bool reference = size == 1024 || size == 4096;
    add_gemm("sgemm", "", std::to_string(size), {size, size, size},
             reference ? std::vector<std::string>{"reference", "sgemm"} : std::vector<std::string>{"sgemm"},
             size <= 2048);  // 4096^3 on a laptop-class CPU takes seconds per run
  }
}

}  // namespace cudanet::bench
