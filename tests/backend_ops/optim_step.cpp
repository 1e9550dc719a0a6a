// Optimizer step cases: one fused optim_step_ over several parameters, from
// random parameters, gradients and state (as at step 3 of a run), for each
// update rule and its options.
#include <cmath>

#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

namespace {

struct Rule {
  std::string name;
  OptimStepParams p;
  bool slots[kOptimSlots];  // which state slots the rule reads
  DType dt = DType::f32;
};

OptimStepParams sgd(double momentum, bool nesterov, double wd) {
  OptimStepParams p;
  p.kind = OptimKind::Sgd;
  p.lr = p.step_size = 0.05;
  p.momentum = momentum, p.nesterov = nesterov, p.weight_decay = wd;
  return p;
}

// The host arithmetic of optim/adam.cpp at step t = 3.
OptimStepParams adam(bool decoupled, bool amsgrad, double wd) {
  OptimStepParams p;
  p.kind = decoupled ? OptimKind::AdamW : OptimKind::Adam;
  p.lr = 0.01, p.beta1 = 0.9, p.beta2 = 0.999, p.eps = 1e-7, p.weight_decay = wd, p.amsgrad = amsgrad;
  p.step_size = p.lr / (1 - std::pow(p.beta1, 3.0));
  p.bias_correction2_sqrt = std::sqrt(1 - std::pow(p.beta2, 3.0));
  p.decay_factor = 1 - p.lr * wd;
  return p;
}

OptimStepParams rmsprop(double momentum, bool centered, double wd) {
  OptimStepParams p;
  p.kind = OptimKind::Rmsprop;
  p.lr = p.step_size = 0.01, p.beta2 = 0.9, p.eps = 1e-7;
  p.momentum = momentum, p.centered = centered, p.weight_decay = wd;
  return p;
}

// A value each slot may hold after a few steps: first moments and momentum
// buffers of either sign; second moments positive and above the square of
// the gradient average (so a centered variance stays positive).
Tensor state(Inputs& in, int slot, OptimKind kind, const Shape& s, DType dt) {
  if (kind == OptimKind::Sgd || (kind == OptimKind::Rmsprop && slot == 1)) return in.normal(s, dt);
  if (kind == OptimKind::Rmsprop) return slot == 0 ? in.uniform(s, 0.5, 1.5, dt) : in.normal(s, dt, 0.0, 0.1);
  return slot == 0 ? in.normal(s, dt, 0.0, 0.1) : in.uniform(s, 0.01, 1.0, dt);  // Adam(W): m, v, vmax
}

// The tensors of `ts` end to end, as one result on `d`. Compared one by one, a
// one-element tensor whose update cancels (buf = mu * buf + g near zero) would
// turn a one-ulp difference of the terms into a large relative one; end to end
// the norm is that of all parameters, and an element the kernel skipped or
// mis-indexed still shows (an lr-sized error against a norm of ~200: ~1e-4).
// Element offsets: those of kShapes, in order.
Tensor end_to_end(const std::vector<Tensor>& ts, Device d) {
  auto join = [&](auto tag) {
    using T = decltype(tag);
    std::vector<T> all;
    for (const Tensor& t : ts) {
      const std::vector<T> v = t.to_vector<T>();
      all.insert(all.end(), v.begin(), v.end());
    }
    return Tensor::from_vector<T>(all, {static_cast<int64_t>(all.size())}, d);
  };
  return ts.at(0).dtype() == DType::f64 ? join(double{}) : join(float{});
}

// One element, a prime, a non-multiple of the 512-element chunk, an empty
// parameter, and one spanning many chunks and blocks; the last has no
// gradient and must stay as it was.
const std::vector<Shape> kShapes = {{1}, {7}, {10, 100}, {0}, {40009}, {33}};

}  // namespace

CUDANET_BACKEND_OPS(optim_step) {
  const std::vector<Rule> rules = {
      {"sgd", sgd(0, false, 0), {false, false, false}},
      {"sgd momentum", sgd(0.9, false, 0), {true, false, false}},
      {"sgd nesterov weight decay", sgd(0.9, true, 0.01), {true, false, false}},
      {"adam", adam(false, false, 0), {true, true, false}},
      {"adam amsgrad weight decay", adam(false, true, 0.01), {true, true, true}},
      {"adamw", adam(true, false, 0.05), {true, true, false}},
      {"adamw amsgrad", adam(true, true, 0.05), {true, true, true}},
      {"rmsprop", rmsprop(0, false, 0), {true, false, false}},
      {"rmsprop centered momentum weight decay", rmsprop(0.9, true, 0.01), {true, true, true}},
      {"adam amsgrad float64", adam(false, true, 0.01), {true, true, true}, DType::f64},
      {"rmsprop centered momentum float64", rmsprop(0.9, true, 0), {true, true, true}, DType::f64},
  };
  // Same formulas in the same precision on both sides; the GPU may fuse a
  // multiply and add in each of the few updates of an element (m, v, the
  // step), so each element agrees to a few ulps (~5e-7), and the results, end
  // to end, at most that (measured 2e-8 with the CPU's FMAs against the
  // emulated kernels' separate roundings).
  const double tol32 = 2e-6, tol64 = 1e-14;
  std::vector<Case> cases;
  for (const Rule& r : rules) {
    const double tol = r.dt == DType::f32 ? tol32 : tol64;
    Case c{.entry = "optim_step_", .name = r.name, .outputs = {{"params end to end", tol}}};
    for (int k = 0; k < kOptimSlots; ++k)
      if (r.slots[k]) c.outputs.push_back({"slot " + std::to_string(k) + " end to end", tol});
    c.run = [r](Inputs& in, Algo) -> std::vector<Tensor> {
      const std::vector<Shape>& shapes = kShapes;
      std::vector<Tensor> params;
      std::vector<std::vector<Tensor>> slots(kOptimSlots);
      for (size_t i = 0; i < shapes.size(); ++i) {
        Tensor x = in.normal(shapes[i], r.dt);
        if (i + 1 < shapes.size()) x.set_grad(in.normal(shapes[i], r.dt));
        params.push_back(x);
        for (int k = 0; k < kOptimSlots; ++k)
          if (r.slots[k]) slots[k].push_back(state(in, k, r.p.kind, shapes[i], r.dt));
      }
      OptimStepCache cache;
      optim_step_(params, slots, r.p, cache, r.name.c_str());
      std::vector<Tensor> out = {end_to_end(params, in.device())};
      for (const auto& slot : slots)
        if (!slot.empty()) out.push_back(end_to_end(slot, in.device()));
      return out;
    };
    cases.push_back(c);
  }
  return cases;
}
