// Clipping by global norm: the norm over a list of tensors and the tensors
// scaled in place.
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

namespace {

struct Clip {
  std::string name;
  std::vector<int64_t> sizes;
  double max_norm;
  DType dt;
};

}  // namespace

CUDANET_BACKEND_OPS(clip_grad_norm) {
  // Awkward sizes, an empty tensor (skipped), and 150 small tensors after them:
  // more than the 128 one CUDA launch takes, so the list is split.
  std::vector<int64_t> many = {1, 7, 1000, 0, 40003};
  for (int i = 0; i < 150; ++i) many.push_back(1 + (i * 37) % 101);
  const std::vector<Clip> clips = {
      {"one tensor of 1, clipped", {1}, 0.1, DType::f32},
      {"5 tensors, clipped", {1, 7, 1000, 0, 40003}, 1.0, DType::f32},
      {"5 tensors, below max_norm", {1, 7, 1000, 0, 40003}, 1e6, DType::f32},
      {"155 tensors, clipped", many, 2.0, DType::f32},
      {"155 tensors float64, clipped", many, 2.0, DType::f64},
  };
  // Both backends add the squares in double, in different orders: the norms
  // agree to double rounding, then one float32 rounding (1.2e-7); each
  // gradient is scaled by the same factor formed from it, a rounding or two more.
  std::vector<Case> cases;
  for (const Clip& c : clips) {
    const double tol = c.dt == DType::f32 ? 1e-6 : 1e-14;
    Case k{.entry = "clip_by_global_norm_", .name = c.name, .outputs = {{"norm", tol}}};
    for (size_t i = 0; i < c.sizes.size(); ++i) k.outputs.push_back({"grad " + std::to_string(i), tol});
    k.run = [c](Inputs& in, Algo) -> std::vector<Tensor> {
      std::vector<Tensor> grads;
      for (int64_t n : c.sizes) grads.push_back(in.normal({n}, c.dt));
      std::vector<Tensor> out{clip_by_global_norm_(grads, c.max_norm)};
      out.insert(out.end(), grads.begin(), grads.end());
      return out;
    };
    cases.push_back(k);
  }
  return cases;
}
