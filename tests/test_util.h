#pragma once
// Helpers shared by the tests: random tensors, relative errors, the GPU skip,
// and gradient checks by central finite differences in float64.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "core/algo.h"
#include "core/autograd.h"
#include "core/device.h"
#include "core/ops.h"
#include "core/random.h"

namespace cudanet::test {

// Exit code ctest reads as "skipped" (SKIP_RETURN_CODE 77 on [gpu] tests).
constexpr int kSkip = 77;

// First line of every [gpu] test: without a usable device the process reports
// itself skipped, never passed.
inline void require_gpu() {
  if (!cuda_available()) {
    std::printf("SKIPPED: no CUDA device: %s\n", cuda_unavailable_reason().c_str());
    std::fflush(stdout);
    std::exit(kSkip);
  }
}

// Skips a [gpu] test that exercises only cuBLAS/cuDNN: the emulated device runs
// the hand-written kernels alone, so such a test reports itself skipped there.
inline void require_vendor_libraries() {
  if (cuda_emulated()) {
    std::printf("SKIPPED: cuBLAS and cuDNN are not available on the emulated CUDA device\n");
    std::fflush(stdout);
    std::exit(kSkip);
  }
}

// The algorithms of `all` this device can run: without the vendor libraries
// (the emulated device) Native and Auto, which then picks Native.
inline std::vector<Algo> runnable_algos(std::initializer_list<Algo> all) {
  std::vector<Algo> out;
  for (Algo a : all)
    if (!cuda_emulated() || (a != Algo::Cudnn && a != Algo::Cublas)) out.push_back(a);
  return out;
}

// `t` on `d` as a new leaf that requires grad. Never an alias of `t`:
// Tensor::to(d) returns `t` itself when it already lives on `d` (as PyTorch's
// does), and marking that alias would make `t` require grad for later cases.
inline Tensor leaf(const Tensor& t, Device d) { return t.to(d).detach().set_requires_grad(true); }

inline Tensor randn(const Shape& s, uint64_t seed, DType dt = DType::f32, Device d = Device::cpu()) {
  Tensor t = Tensor::empty(s, dt, d);
  Generator g(seed);
  normal_(t, 0.0, 1.0, g);
  return t;
}

inline Tensor randu(const Shape& s, uint64_t seed, double lo, double hi, DType dt = DType::f32,
                    Device d = Device::cpu()) {
  Tensor t = Tensor::empty(s, dt, d);
  Generator g(seed);
  uniform_(t, lo, hi, g);
  return t;
}

inline std::vector<double> as_doubles(const Tensor& t) {
  Tensor c = cast(t.detach().to(Device::cpu()), DType::f64);
  return c.to_vector<double>();
}

// ||out - ref|| / ||ref||, computed in double; NaN anywhere gives infinity.
inline double rel_err(const Tensor& out, const Tensor& ref) {
  REQUIRE(out.shape() == ref.shape());
  auto a = as_doubles(out), b = as_doubles(ref);
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) return INFINITY;
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return den == 0 ? std::sqrt(num) : std::sqrt(num / den);
}

inline void require_close(const Tensor& t, const std::vector<double>& expected, double tol = 1e-6) {
  auto got = as_doubles(t);
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    REQUIRE(got[i] == Approx(expected[i]).margin(tol).epsilon(tol));
  }
}

// Compares the analytic gradients of sum(f(inputs) * w), w random, with central
// finite differences. Inputs must be float64 CPU tensors.
inline void gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> inputs,
                      double eps = 1e-6, double tol = 1e-6) {
  for (auto& x : inputs) x.set_requires_grad(true);
  Tensor y = f(inputs);
  Tensor w = randn(y.shape(), 4242, DType::f64);
  sum(mul(y, w)).backward();
  auto objective = [&]() {
    NoGradGuard ng;
    Tensor out = f(inputs);
    auto o = out.to_vector<double>();
    auto ws = w.to_vector<double>();
    double s = 0;
    for (size_t i = 0; i < o.size(); ++i) s += o[i] * ws[i];
    return s;
  };
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    REQUIRE(x.grad().defined());
    auto analytic = x.grad().to_vector<double>();
    double* xs = x.data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double orig = xs[i];
      xs[i] = orig + eps;
      const double fp = objective();
      xs[i] = orig - eps;
      const double fm = objective();
      xs[i] = orig;
      const double numeric = (fp - fm) / (2 * eps);
      INFO("input " << k << " element " << i << " analytic " << analytic[i] << " numeric " << numeric);
      REQUIRE(std::abs(analytic[i] - numeric) <= tol * (1 + std::abs(numeric)));
    }
  }
}

}  // namespace cudanet::test
