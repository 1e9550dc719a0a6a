// Pooling cases: max and average through pool2d (any window) and the square
// helpers, forward and backward, with every algorithm.
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

namespace {

struct Window {
  Shape shape;
  int kh, kw, sh, sw, ph, pw;
};

std::string label(const Window& w, DType dt) {
  auto s = [](int v) { return std::to_string(v); };
  return w.shape.str() + " k" + s(w.kh) + "x" + s(w.kw) + " s" + s(w.sh) + "x" + s(w.sw) + " p" + s(w.ph) + "x" +
         s(w.pw) + (dt == DType::f64 ? " float64" : "");
}

const char* mode_name(PoolMode m) { return m == PoolMode::Max ? "max" : "avg"; }

// A max copies its element: exact. An average sums at most kh*kw = 9 terms in
// another order (< 1e-6 relative), and overlapping windows add at most 9
// gradients into one input element the same way. float64: 1e-14.
double tol_y(PoolMode m, DType dt) { return m == PoolMode::Max ? 0 : dt == DType::f32 ? 1e-6 : 1e-14; }
double tol_dx(DType dt) { return dt == DType::f32 ? 1e-6 : 1e-14; }

}  // namespace

CUDANET_BACKEND_OPS(pool2d) {
  const std::vector<Algo> algos = {Algo::Native, Algo::Cudnn, Algo::Auto};
  // One pixel, odd planes, overlapping windows with padding, a non-square
  // window with uneven strides, and the reference CNN's first pool.
  const Window windows[] = {
      {{1, 1, 1, 1}, 1, 1, 1, 1, 0, 0},    {{2, 3, 5, 7}, 2, 2, 2, 2, 0, 0},     {{3, 5, 13, 17}, 3, 3, 2, 2, 1, 1},
      {{5, 11, 31, 29}, 3, 3, 1, 1, 1, 1}, {{1, 4, 9, 10}, 3, 2, 2, 1, 1, 0},  {{2, 32, 26, 26}, 2, 2, 2, 2, 0, 0},
  };
  std::vector<Case> cases;
  for (PoolMode mode : {PoolMode::Max, PoolMode::Avg}) {
    auto add = [&](const Window& w, DType dt) {
      cases.push_back({.entry = "pool2d",
                       .name = std::string(mode_name(mode)) + " " + label(w, dt),
                       .algos = algos,
                       .outputs = {{"y", tol_y(mode, dt)}, {"dx", tol_dx(dt)}},
                       .run = [mode, w, dt](Inputs& in, Algo algo) -> std::vector<Tensor> {
                         Tensor x = in.leaf(in.normal(w.shape, dt));
                         Tensor y = pool2d(x, {mode, w.kh, w.kw, w.sh, w.sw, w.ph, w.pw, algo});
                         in.backward(y);
                         return {y, x.grad()};
                       }});
    };
    for (const Window& w : windows) add(w, DType::f32);
    add({{3, 4, 11, 9}, 3, 3, 2, 2, 1, 1}, DType::f64);

    // The square helpers, with the default stride (= kernel) and with padding.
    struct Square {
      Shape shape;
      int kernel, stride, pad;
    };
    for (const Square& s : {Square{{4, 3, 7, 9}, 2, -1, 0}, Square{{2, 6, 15, 15}, 3, 2, 1}}) {
      const char* entry = mode == PoolMode::Max ? "max_pool2d" : "avg_pool2d";
      cases.push_back({.entry = entry,
                       .name = s.shape.str() + " k" + std::to_string(s.kernel) + " s" + std::to_string(s.stride) +
                               " p" + std::to_string(s.pad),
                       .algos = algos,
                       .outputs = {{"y", tol_y(mode, DType::f32)}, {"dx", tol_dx(DType::f32)}},
                       .run = [mode, s](Inputs& in, Algo algo) -> std::vector<Tensor> {
                         Tensor x = in.leaf(in.normal(s.shape));
                         Tensor y = mode == PoolMode::Max ? max_pool2d(x, s.kernel, s.stride, s.pad, algo)
                                                          : avg_pool2d(x, s.kernel, s.stride, s.pad, algo);
                         in.backward(y);
                         return {y, x.grad()};
                       }});
    }
  }
  return cases;
}
