// softmax and log_softmax over the rows of (N, K), forward and backward, with
// every algorithm.
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

CUDANET_BACKEND_OPS(softmax) {
  // float32 on CUDA, double on the CPU: each output is exp of an exact
  // difference times 1/sum (or minus log sum), and CUDA's float row sum of K
  // terms carries a relative error near sqrt(K) * 6e-8 (2e-6 at K = 1025),
  // plus expf's 2 ulp. The backward adds one more row sum of the same size.
  // cuDNN (on a GPU) sums in float too. float64: ~sqrt(K) * 1e-16.
  constexpr double kTol = 2e-5, kTol64 = 1e-12;
  // One element, rows shorter and longer than a warp, 1023/1025 around the
  // switch from a warp per row to a block per row (1024), and many short rows.
  const std::vector<Shape> shapes = {{1, 1}, {7, 10}, {3, 31}, {5, 33}, {2, 1023}, {3, 1025}, {1, 4099}, {2011, 10}};
  std::vector<Case> cases;
  for (const Shape& s : shapes)
    for (bool log : {false, true})
      for (DType dt : {DType::f32, DType::f64}) {
        if (dt == DType::f64 && s[0] * s[1] > 4000) continue;
        // Logits of scale 4 make the distributions peaked, as trained models' are.
        cases.push_back({.entry = log ? "log_softmax" : "softmax",
                         .name = s.str() + (dt == DType::f64 ? " float64" : ""),
                         .algos = {Algo::Native, Algo::Cudnn, Algo::Auto},
                         .outputs = {{"y", dt == DType::f32 ? kTol : kTol64}, {"dx", dt == DType::f32 ? kTol : kTol64}},
                         .run = [s, log, dt](Inputs& in, Algo a) -> std::vector<Tensor> {
                           Tensor x = in.leaf(in.normal(s, dt, 0.0, 4.0));
                           Tensor y = log ? log_softmax(x, a) : softmax(x, a);
                           in.backward(y);
                           return {y, x.grad()};
                         }});
      }
  return cases;
}
