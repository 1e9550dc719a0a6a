// Reduction cases: sum and mean over everything and along each axis, max and
// argmax along each axis, with the gradients of the differentiable ones.
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

namespace {

// Both backends add in double and round once to the output type: the orders
// differ, so the double sums differ by ~1e-16 and the float32 results by at
// most one rounding (1.2e-7), plus one more where CUDA's mean multiplies by
// 1/len rounded to float first. The backward broadcasts dy * scale: exact.
constexpr double kSum = 1e-6, kSum64 = 1e-14;

// A single element, primes, a row longer than the 256-thread block, a 3-D
// tensor (reductions over an inner axis), and about 60K elements.
const std::vector<Shape> kShapes = {{1, 1}, {7, 13}, {3, 1031}, {257, 5, 3}, {4, 15013}};

std::string label(const Shape& s, const char* what, DType dt = DType::f32) {
  return s.str() + " " + what + (dt == DType::f64 ? " float64" : "");
}

}  // namespace

CUDANET_BACKEND_OPS(reduce) {
  std::vector<Case> cases;
  for (const Shape& s : kShapes)
    for (DType dt : {DType::f32, DType::f64}) {
      if (dt == DType::f64 && s.numel() > 5000) continue;
      const double tol = dt == DType::f32 ? kSum : kSum64;
      for (bool is_mean : {false, true}) {
        const char* entry = is_mean ? "mean" : "sum";
        cases.push_back({.entry = entry,
                         .name = label(s, "all", dt),
                         .outputs = {{"y", tol}, {"dx", 0}},
                         .run = [s, dt, is_mean](Inputs& in, Algo) -> std::vector<Tensor> {
                           Tensor x = in.leaf(in.normal(s, dt));
                           Tensor y = is_mean ? mean(x) : sum(x);
                           in.backward(y);
                           return {y, x.grad()};
                         }});
        for (int axis = 0; axis < s.ndim(); ++axis) {
          const bool keepdim = axis == 1;
          cases.push_back({.entry = entry,
                           .name = label(s, (std::string("axis ") + std::to_string(axis) +
                                             (keepdim ? " keepdim" : ""))
                                                .c_str(),
                                         dt),
                           .outputs = {{"y", tol}, {"dx", 0}},
                           .run = [s, dt, is_mean, axis, keepdim](Inputs& in, Algo) -> std::vector<Tensor> {
                             Tensor x = in.leaf(in.normal(s, dt));
                             Tensor y = is_mean ? mean(x, axis, keepdim) : sum(x, axis, keepdim);
                             in.backward(y);
                             return {y, x.grad()};
                           }});
        }
      }
      // max and argmax compare and copy: exact. Normal inputs have no ties.
      for (int axis = 0; axis < s.ndim(); ++axis) {
        const std::string name = label(s, (std::string("axis ") + std::to_string(axis)).c_str(), dt);
        cases.push_back({.entry = "max",
                         .name = name,
                         .outputs = {{"y", 0}, {"dx", 0}},
                         .run = [s, dt, axis](Inputs& in, Algo) -> std::vector<Tensor> {
                           Tensor x = in.leaf(in.normal(s, dt));
                           Tensor y = max(x, axis);
                           in.backward(y);
                           return {y, x.grad()};
                         }});
        cases.push_back({.entry = "argmax",
                         .name = name,
                         .outputs = {{"index", 0}},
                         .run = [s, dt, axis](Inputs& in, Algo) -> std::vector<Tensor> {
                           return {argmax(in.normal(s, dt), axis, axis == 0)};
                         }});
      }
    }
  return cases;
}
