// conv2d cases: forward and the three gradients, with every algorithm.
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

namespace {

struct Geometry {
  int64_t n, c, h, w, o, kh, kw;
  int stride_h, stride_w, pad_h, pad_w;
  bool bias = true;
};

std::string label(const Geometry& g, DType dt) {
  auto s = [](auto v) { return std::to_string(v); };
  return "x(" + s(g.n) + "," + s(g.c) + "," + s(g.h) + "," + s(g.w) + ") w(" + s(g.o) + "," + s(g.c) + "," + s(g.kh) +
         "," + s(g.kw) + ") stride " + s(g.stride_h) + "," + s(g.stride_w) + " pad " + s(g.pad_h) + "," + s(g.pad_w) +
         (g.bias ? "" : " no bias") + (dt == DType::f64 ? " float64" : "");
}

}  // namespace

CUDANET_BACKEND_OPS(conv2d) {
  // The CPU reference is float32 too, so the tolerance covers both sides: a sum
  // of L products of N(0, 1) values carries ~sqrt(L) * 6e-8 per side, and L
  // reaches c*kh*kw = 603 (forward), o*kh*kw = 630 (data) and n*oh*ow = 1,352
  // (filter): at most ~2e-6. 1e-4 leaves room for cuDNN's Winograd and FFT
  // algorithms on a GPU, whose transforms add a few ulps (TF32 stays off).
  constexpr double kTol = 1e-4, kTol64 = 1e-12;
  const Geometry geometries[] = {
      {1, 3, 7, 7, 5, 5, 5, 1, 1, 2, 2},        // batch 1, 5x5 'same'
      {2, 7, 11, 13, 3, 1, 1, 1, 1, 0, 0},      // 1x1, primes
      {3, 5, 17, 17, 11, 3, 3, 2, 2, 1, 1},     // stride 2, pad 1
      {1, 13, 9, 23, 17, 3, 5, 2, 1, 1, 2},     // non-square kernel, uneven stride and padding
      {2, 67, 13, 13, 70, 3, 3, 1, 1, 1, 1},    // more channels and outputs than one 64-wide tile
      {2, 1, 28, 28, 32, 3, 3, 1, 1, 0, 0},     // the reference CNN's three layers, small batches
      {4, 32, 13, 13, 64, 3, 3, 1, 1, 0, 0},
      {8, 64, 5, 5, 64, 3, 3, 1, 1, 0, 0},
      {2, 4, 6, 5, 3, 3, 2, 1, 2, 1, 0, false},  // no bias
  };
  std::vector<Case> cases;
  auto add = [&](const Geometry& g, DType dt) {
    std::vector<Output> outputs = {{"y", dt == DType::f32 ? kTol : kTol64},
                                   {"dx", dt == DType::f32 ? kTol : kTol64},
                                   {"dw", dt == DType::f32 ? kTol : kTol64}};
    if (g.bias) outputs.push_back({"db", dt == DType::f32 ? kTol : kTol64});
    cases.push_back({.entry = "conv2d",
                     .name = label(g, dt),
                     .algos = {Algo::Native, Algo::Cudnn, Algo::Auto},
                     .outputs = outputs,
                     .run = [g, dt](Inputs& in, Algo algo) -> std::vector<Tensor> {
                       Tensor x = in.leaf(in.normal({g.n, g.c, g.h, g.w}, dt));
                       Tensor w = in.leaf(in.normal({g.o, g.c, g.kh, g.kw}, dt));
                       Tensor b = g.bias ? in.leaf(in.normal({g.o}, dt)) : Tensor();
                       Tensor y = conv2d(x, w, b, {g.stride_h, g.stride_w, g.pad_h, g.pad_w, algo});
                       in.backward(y);
                       std::vector<Tensor> out = {y, x.grad(), w.grad()};
                       if (g.bias) out.push_back(b.grad());
                       return out;
                     }});
  };
  for (const Geometry& g : geometries) add(g, DType::f32);
  add({2, 3, 9, 7, 4, 3, 3, 2, 1, 1, 0}, DType::f64);
  return cases;
}
