// bias_add cases: (N, C) and (N, C, H, W), forward and both gradients.
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

CUDANET_BACKEND_OPS(bias) {
  // y = x + b[c] and dx = dy are exact on both sides. db sums n*inner values
  // per channel: in double on the CPU, in float32 on CUDA (256 strided partial
  // sums, then a tree). For N(0, 1) terms the float error is a random walk,
  // about sqrt(L) * 6e-8 of the sum: 5e-6 at L = 7,192, the largest below.
  constexpr double kDbias = 1e-5, kDbias64 = 1e-12;
  // Batch 1, odd sizes, 1x1 planes, and a channel longer than a block.
  const std::vector<Shape> shapes = {{1, 1}, {7, 37}, {64, 10}, {1, 3, 5, 7}, {3, 17, 1, 1}, {2, 5, 13, 11},
                                     {8, 6, 31, 29}};
  std::vector<Case> cases;
  for (const Shape& s : shapes)
    for (DType dt : {DType::f32, DType::f64}) {
      if (dt == DType::f64 && s.numel() > 2000) continue;
      cases.push_back({.entry = "bias_add",
                       .name = s.str() + (dt == DType::f64 ? " float64" : ""),
                       .outputs = {{"y", 0}, {"dx", 0}, {"dbias", dt == DType::f32 ? kDbias : kDbias64}},
                       .run = [s, dt](Inputs& in, Algo) -> std::vector<Tensor> {
                         Tensor x = in.leaf(in.normal(s, dt)), b = in.leaf(in.normal({s[1]}, dt));
                         Tensor y = bias_add(x, b);
                         in.backward(y);
                         return {y, x.grad(), b.grad()};
                       }});
    }
  return cases;
}
