// Element-wise cases: every unary and binary op forward and backward, the
// in-place ops, fill and cast.
#include "backend_ops.h"

namespace cudanet::test::backend_ops {
namespace {

// Both backends evaluate the same expression (kernels/common/elementwise_math.h).
// One correctly rounded operation per element (+ - * / sqrt, a compare, a
// sign) or a copy gives the same bits on any IEEE device: nvcc keeps division
// and sqrt IEEE unless --use_fast_math, and a + 1 * b contracted into an FMA
// is still a + b rounded once. So those are exact.
constexpr double kExact = 0;
// a + alpha * b with alpha not +-1: the GPU may fuse it into one FMA where the
// host rounds twice, up to about 1e-7 of the norm for random normal operands.
constexpr double kFma = 5e-7;
// exp, log, tanh: CUDA's expf, logf, tanhf are within 2 ulp of the exact value
// (programming guide, appendix "Mathematical functions"), glibc's within 1, so
// outputs differ by up to 3 ulp ~ 3.6e-7 relative; float64 versions by 2 ulp.
constexpr double kMath = 1e-6, kMath64 = 1e-14;
// Gradients through those outputs: 1 - y^2 and y (1 - y) cancel where y is
// near 1, magnifying the 3 ulp of y up to fourteenfold on the inputs below.
constexpr double kMathGrad = 1e-5, kMathGrad64 = 1e-13;

// Flat sizes: one element, a non-multiple of 32, and more elements than the
// emulated device's 4 SMs x 8 blocks x 256 threads, so the grid-stride loops turn.
const std::vector<Shape> kShapes = {{1}, {7, 37}, {60001}};

std::string dims(const Shape& s, DType dt = DType::f32) {
  return s.str() + (dt == DType::f32 ? "" : std::string(" ") + dtype_name(dt));
}

struct Unary {
  const char* entry;
  Tensor (*f)(const Tensor&);
  double lo, hi;  // input range; lo == hi draws N(0, 1)
  double tol_y, tol_dx, tol_y64, tol_dx64;
};

const Unary kUnary[] = {
    {"neg", [](const Tensor& x) { return neg(x); }, 0, 0, kExact, kExact, kExact, kExact},
    {"scale", [](const Tensor& x) { return scale(x, -1.75); }, 0, 0, kExact, kExact, kExact, kExact},
    {"add_scalar", [](const Tensor& x) { return add_scalar(x, 0.3); }, 0, 0, kExact, kExact, kExact, kExact},
    {"relu", [](const Tensor& x) { return relu(x); }, 0, 0, kExact, kExact, kExact, kExact},
    {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.1); }, 0, 0, kExact, kExact, kExact, kExact},
    // 1 / (1 + exp(-x)): the division damps exp's error, the gradients y (1 - y)
    // and 1 - y^2 do not. On [-2, 2], 1 - y >= 0.12 and 1 - y^2 >= 0.07, so 3 ulp
    // of y (3.6e-7) is at most 5e-6 of any element's gradient, however small
    // the tensor (normal inputs would allow |x| > 3, and one such element alone
    // in a one-element tensor would exceed 1e-5).
    {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, -2, 2, kMath, kMathGrad, kMath64, kMathGrad64},
    {"tanh", [](const Tensor& x) { return tanh(x); }, -2, 2, kMath, kMathGrad, kMath64, kMathGrad64},
    // dx = dy * y: one product with a 3-ulp factor.
    {"exp", [](const Tensor& x) { return exp(x); }, 0, 0, kMath, kMath, kMath64, kMath64},
    // dx = dy / x: exact; log itself has the library's ulps.
    {"log", [](const Tensor& x) { return log(x); }, 0.1, 4.0, kMath, kExact, kMath64, kExact},
    // dx = dy * 0.5 / y with y = sqrt(x) correctly rounded on both sides.
    {"sqrt", [](const Tensor& x) { return sqrt(x); }, 0.1, 4.0, kExact, kExact, kExact, kExact},
    {"square", [](const Tensor& x) { return square(x); }, 0, 0, kExact, kExact, kExact, kExact},
};

struct Binary {
  const char* entry;
  Tensor (*f)(const Tensor&, const Tensor&);
};

// b in [0.5, 2) keeps div away from zero; the gradients (g, -g, g*b, g/b,
// -(g*y)/b) are single roundings of the same operands on both sides.
const Binary kBinary[] = {
    {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
    {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
    {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
    {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }},
};

}  // namespace
}  // namespace cudanet::test::backend_ops

using namespace cudanet;
using namespace cudanet::test::backend_ops;

CUDANET_BACKEND_OPS(elementwise) {
  std::vector<Case> cases;
  for (const Unary& u : kUnary) {
    for (const Shape& s : kShapes)
      for (DType dt : {DType::f32, DType::f64}) {
        if (dt == DType::f64 && s.numel() > 1000) continue;  // float64 runs the same kernels: one size suffices
        const bool f32 = dt == DType::f32;
        cases.push_back({.entry = u.entry,
                         .name = dims(s, dt),
                         .outputs = {{"y", f32 ? u.tol_y : u.tol_y64}, {"dx", f32 ? u.tol_dx : u.tol_dx64}},
                         .run = [u, s, dt](Inputs& in, Algo) -> std::vector<Tensor> {
                           Tensor x = in.leaf(u.lo == u.hi ? in.normal(s, dt) : in.uniform(s, u.lo, u.hi, dt));
                           Tensor y = u.f(x);
                           in.backward(y);
                           return {y, x.grad()};
                         }});
      }
  }
  for (const Binary& op : kBinary)
    for (const Shape& s : kShapes)
      cases.push_back({.entry = op.entry,
                       .name = dims(s),
                       .outputs = {{"y", kExact}, {"da", kExact}, {"db", kExact}},
                       .run = [op, s](Inputs& in, Algo) -> std::vector<Tensor> {
                         Tensor a = in.leaf(in.normal(s)), b = in.leaf(in.uniform(s, 0.5, 2.0));
                         Tensor y = op.f(a, b);
                         in.backward(y);
                         return {y, a.grad(), b.grad()};
                       }});
  // The in-place ops write into a tensor that already holds random values.
  for (const Shape& s : kShapes) {
    cases.push_back({.entry = "add_",
                     .name = dims(s),
                     .outputs = {{"dst", kExact}},
                     .run = [s](Inputs& in, Algo) -> std::vector<Tensor> {
                       Tensor dst = in.normal(s), src = in.normal(s);
                       add_(dst, src);
                       return {dst};
                     }});
    cases.push_back({.entry = "axpy_",
                     .name = dims(s) + " alpha -0.37",
                     .outputs = {{"dst", kFma}},
                     .run = [s](Inputs& in, Algo) -> std::vector<Tensor> {
                       Tensor dst = in.normal(s), src = in.normal(s);
                       axpy_(dst, src, -0.37);
                       return {dst};
                     }});
    cases.push_back({.entry = "scale_",
                     .name = dims(s),
                     .outputs = {{"dst", kExact}},
                     .run = [s](Inputs& in, Algo) -> std::vector<Tensor> {
                       Tensor dst = in.normal(s);
                       scale_(dst, 0.3);
                       return {dst};
                     }});
  }
  // fill_ over every dtype the kernel instantiates: the value converts the same
  // way on both sides.
  for (DType dt : {DType::f32, DType::f64, DType::i32, DType::u8})
    cases.push_back({.entry = "fill_",
                     .name = dims({4099}, dt),
                     .outputs = {{"dst", kExact}},
                     .run = [dt](Inputs& in, Algo) -> std::vector<Tensor> {
                       Tensor dst = cast(in.uniform({4099}, 1.0, 100.0), dt);
                       fill_(dst, 42.0);
                       return {dst};
                     }});
  // cast: conversions are exact or correctly rounded (float64 -> float32),
  // float -> int truncates, on either device. A float -> float cast records a
  // gradient (the cast back).
  struct CastCase {
    DType from, to;
    double lo, hi;
  };
  for (CastCase k : {CastCase{DType::f32, DType::f64, -3, 3}, CastCase{DType::f64, DType::f32, -3, 3},
                     CastCase{DType::f32, DType::i32, -100, 100}, CastCase{DType::i32, DType::f32, -100, 100},
                     CastCase{DType::f64, DType::u8, 0, 255}, CastCase{DType::u8, DType::f32, 0, 255}})
    for (const Shape& s : {Shape{1}, Shape{4099}}) {
      const bool floats = is_floating(k.from) && is_floating(k.to);
      Case c{.entry = "cast",
             .name = s.str() + " " + dtype_name(k.from) + " to " + dtype_name(k.to),
             .outputs = {{"y", kExact}},
             .run = [k, s, floats](Inputs& in, Algo) -> std::vector<Tensor> {
               Tensor x = cast(in.uniform(s, k.lo, k.hi, DType::f64), k.from);
               if (!floats) return {cast(x, k.to)};
               x = in.leaf(x);
               Tensor y = cast(x, k.to);
               in.backward(y);
               return {y, x.grad()};
             }};
      if (floats) c.outputs.push_back({"dx", kExact});
      cases.push_back(c);
    }
  return cases;
}
