// Random fill cases: a generator with the same seed and offset gives the same
// numbers on both backends (kernels/common/random_math.h computes each in
// double from the same Philox words).
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

namespace {

struct Fill {
  const char* entry;
  bool normal;
  DType dt;
  double tol;
};

}  // namespace

CUDANET_BACKEND_OPS(random) {
  // Uniform: lo + (hi - lo) * u in double, where the GPU may fuse the multiply
  // and add: the double results may differ in the last bit (1.1e-16 relative),
  // which float64 keeps and rounding to float32 removes (unless the value lies
  // within that bit of a float32 rounding boundary: about 2^-29 per element,
  // so exact is safe at these sizes, as test_elementwise.cpp's fills assume). Normal: Box-Muller's
  // log and cos in double, within 2 ulp of each other: ~1e-15 in float64, and
  // at most one float32 rounding (1.2e-7) when that lands on a rounding boundary.
  const Fill fills[] = {{"uniform_", false, DType::f32, 0},
                        {"uniform_", false, DType::f64, 1e-15},
                        {"normal_", true, DType::f32, 1e-7},
                        {"normal_", true, DType::f64, 1e-14}};
  std::vector<Case> cases;
  for (const Fill& f : fills)
    for (const Shape& s : {Shape{1}, Shape{5}, Shape{7, 37}, Shape{60001}}) {
      if (f.dt == DType::f64 && s.numel() > 1000) continue;
      // Two fills in a row from one generator: the second starts at an offset.
      cases.push_back({.entry = f.entry,
                       .name = s.str() + " " + dtype_name(f.dt),
                       .outputs = {{"first", f.tol}, {"second", f.tol}},
                       .run = [f, s](Inputs& in, Algo) -> std::vector<Tensor> {
                         Generator g(in.next_seed());
                         Tensor a = Tensor::empty(s, f.dt, in.device()), b = Tensor::empty(s, f.dt, in.device());
                         for (const Tensor& t : {a, b}) f.normal ? normal_(t, 0.5, 2.0, g) : uniform_(t, -1.5, 3.0, g);
                         return {a, b};
                       }});
    }
  return cases;
}
