// one_hot cases: rows of 0s and 1s, and where a bad label is reported (the CPU
// throws, CUDA raises the label flag that check_label_flag reads).
#include <cstdio>
#include <string>

#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

namespace {

// {0, 0, 0} when one_hot(labels, k) and the flag check pass, else {1, the
// label, the row} read from the message (the same words on both backends).
Tensor verdict(const Tensor& labels, int64_t k, Device d) {
  std::vector<int32_t> v{0, 0, 0};
  try {
    one_hot(labels, k);
    check_label_flag(d);
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

CUDANET_BACKEND_OPS(one_hot) {
  // Both backends write the constants 0 and 1: exact.
  struct Size {
    int64_t n, k;
  };
  std::vector<Case> cases;
  for (const Size& s : {Size{1, 1}, Size{1, 10}, Size{64, 10}, Size{7, 1025}, Size{2011, 10}, Size{3, 4099}})
    for (DType dt : {DType::f32, DType::f64})
      cases.push_back({.entry = "one_hot",
                       .name = std::to_string(s.n) + "x" + std::to_string(s.k) + " " + dtype_name(dt),
                       .outputs = {{"y", 0}},
                       .run = [s, dt](Inputs& in, Algo) -> std::vector<Tensor> {
                         return {one_hot(in.labels(s.n, s.k), s.k, dt)};
                       }});
  // One bad label (which of several a GPU meets first is not defined), and none. Exact.
  struct Probe {
    int64_t n, k, row;
    int32_t label;
  };
  for (const Probe& p : {Probe{5, 3, -1, 0}, Probe{5, 3, 0, -1}, Probe{2011, 10, 1999, 10}})
    cases.push_back({.entry = "one_hot",
                     .name = "n " + std::to_string(p.n) + " k " + std::to_string(p.k) +
                             (p.row < 0 ? " labels in range" : " bad " + std::to_string(p.label) + "@" +
                                                                   std::to_string(p.row)),
                     .outputs = {{"verdict", 0}},
                     .run = [p](Inputs& in, Algo) -> std::vector<Tensor> {
                       std::vector<int32_t> l = in.labels(p.n, p.k).to(Device::cpu()).to_vector<int32_t>();
                       if (p.row >= 0) l[static_cast<size_t>(p.row)] = p.label;
                       return {verdict(Tensor::from_vector<int32_t>(l, {p.n}, in.device()), p.k, in.device())};
                     }});
  return cases;
}
