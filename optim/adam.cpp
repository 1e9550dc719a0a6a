#include "optim/adam.h"

#include <cmath>

#include "core/optim_step_params.h"

namespace cudanet {

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options) : Adam(std::move(params), options, false) {}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options, bool decoupled)
    : Optimizer(std::move(params), options.lr, decoupled ? "adamw" : "adam"), o_(options), decoupled_(decoupled) {
  const char* who = name();
  check_unit_interval(who, "beta1", o_.beta1);
  check_unit_interval(who, "beta2", o_.beta2);
  check_positive(who, "eps", o_.eps);
  check_non_negative(who, "weight_decay", o_.weight_decay);
  add_slot(0, "m");
  add_slot(1, "v");
  if (o_.amsgrad) add_slot(2, "vmax");
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options) : Adam(std::move(params), options, true) {}

OptimStepParams Adam::step_params(int64_t t) const {
  OptimStepParams p;
  p.kind = decoupled_ ? OptimKind::AdamW : OptimKind::Adam;
  p.lr = lr();
  p.beta1 = o_.beta1;
  p.beta2 = o_.beta2;
  p.eps = o_.eps;
  p.weight_decay = o_.weight_decay;
  p.amsgrad = o_.amsgrad;
  const double td = static_cast<double>(t);
  p.step_size = lr() / (1 - std::pow(o_.beta1, td));
  p.bias_correction2_sqrt = std::sqrt(1 - std::pow(o_.beta2, td));
  p.decay_factor = 1 - lr() * o_.weight_decay;
  return p;
}

}  // namespace cudanet
