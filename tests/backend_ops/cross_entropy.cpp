// Cross-entropy cases: the fused log-softmax + NLL forward and backward, and
// the label check (which row it reports first).
#include <cstdio>
#include <string>

#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

namespace {

// check_labels(labels, k) as numbers: {0, 0, 0} when it passes, else {1, the
// label, the row} read from its message (the same sentence on both backends).
Tensor verdict(const Tensor& labels, int64_t k, Device d) {
  std::vector<int32_t> v{0, 0, 0};
  try {
    check_labels(labels, k);
  } catch (const Error& e) {
    const std::string msg = e.what();
    const size_t at = msg.find(": label ");
    int label = 0, row = 0;
    if (at == std::string::npos || std::sscanf(msg.c_str() + at, ": label %d in row %d", &label, &row) != 2)
      throw;  // another error: let the test report it
    v = {1, label, row};
  }
  return Tensor::from_vector<int32_t>(v, {3}, d);
}

}  // namespace

CUDANET_BACKEND_OPS(cross_entropy) {
  std::vector<Case> cases;
  // float32 logsumexp per row on CUDA against double on the CPU: a float sum of
  // K exps carries ~sqrt(K) * 6e-8 (4e-6 at K = 4099), and the loss is a mean
  // over rows (in double on both). The gradient softmax - onehot has the same
  // per-row factor.
  constexpr double kTol = 1e-5, kTol64 = 1e-12;
  const std::vector<Shape> shapes = {{1, 1}, {1, 10}, {64, 10}, {7, 1023}, {5, 1025}, {3, 4099}, {2011, 10}};
  for (const Shape& s : shapes)
    for (DType dt : {DType::f32, DType::f64}) {
      if (dt == DType::f64 && s.numel() > 1000) continue;
      const double tol = dt == DType::f32 ? kTol : kTol64;
      cases.push_back({.entry = "cross_entropy",
                       .name = s.str() + (dt == DType::f64 ? " float64" : ""),
                       .outputs = {{"loss", tol}, {"dlogits", tol}},
                       .run = [s, dt](Inputs& in, Algo) -> std::vector<Tensor> {
                         Tensor logits = in.leaf(in.normal(s, dt, 0.0, 3.0));
                         Tensor loss = cross_entropy(logits, in.labels(s[0], s[1]));
                         in.backward(loss);  // a random upstream gradient, read on the device
                         return {loss, logits.grad()};
                       }});
    }
  // Label smoothing adds a second row reduction (the sum of x - max) on CUDA:
  // in both the warp and the block layout, and a row loop that turns. The
  // loss is a float sum of K terms like the logsumexp: the same tolerance.
  for (const Shape& s : {Shape{64, 10}, Shape{5, 1025}, Shape{2011, 10}})
    for (double eps : {0.1, 1.0})
      for (DType dt : {DType::f32, DType::f64}) {
        if (dt == DType::f64 && s.numel() > 1000) continue;
        const double tol = dt == DType::f32 ? kTol : kTol64;
        char smoothing[32];
        std::snprintf(smoothing, sizeof smoothing, " label_smoothing %g", eps);
        cases.push_back({.entry = "cross_entropy",
                         .name = s.str() + smoothing + (dt == DType::f64 ? " float64" : ""),
                         .outputs = {{"loss", tol}, {"dlogits", tol}},
                         .run = [s, dt, eps](Inputs& in, Algo) -> std::vector<Tensor> {
                           Tensor logits = in.leaf(in.normal(s, dt, 0.0, 3.0));
                           Tensor loss = cross_entropy(logits, in.labels(s[0], s[1]), eps);
                           in.backward(loss);
                           return {loss, logits.grad()};
                         }});
      }
  // Where the first bad label is: none, one near the end, two (the first must
  // win, whichever block of the range check finds it). Exact.
  struct Probe {
    int64_t n, k;
    std::vector<std::pair<int64_t, int32_t>> bad;  // (row, label)
  };
  const std::vector<Probe> probes = {{1, 1, {}},
                                     {4099, 10, {}},
                                     {4099, 10, {{3000, -3}, {1234, 10}}},
                                     {60001, 7, {{59999, 7}}},
                                     {5, 3, {{0, -1}}}};
  for (const Probe& p : probes) {
    std::string name = "n " + std::to_string(p.n) + " k " + std::to_string(p.k);
    for (const auto& [row, label] : p.bad) name += " bad " + std::to_string(label) + "@" + std::to_string(row);
    cases.push_back({.entry = "check_labels",
                     .name = name,
                     .outputs = {{"verdict", 0}},
                     .run = [p](Inputs& in, Algo) -> std::vector<Tensor> {
                       std::vector<int32_t> l = in.labels(p.n, p.k).to(Device::cpu()).to_vector<int32_t>();
                       for (const auto& [row, label] : p.bad) l[static_cast<size_t>(row)] = label;
                       return {verdict(Tensor::from_vector<int32_t>(l, {p.n}, in.device()), p.k, in.device())};
                     }});
  }
  return cases;
}
