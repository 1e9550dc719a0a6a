#include "optim/rmsprop.h"

#include "core/optim_step_params.h"

namespace cudanet {

Rmsprop::Rmsprop(std::vector<Tensor> params, const RmspropOptions& options)
    : Optimizer(std::move(params), options.lr, "rmsprop"), o_(options) {
  check_unit_interval("rmsprop", "rho", o_.rho);
  check_positive("rmsprop", "eps", o_.eps);
  check_unit_interval("rmsprop", "momentum", o_.momentum);
  check_non_negative("rmsprop", "weight_decay", o_.weight_decay);
  add_slot(0, "square_avg");
  if (o_.momentum > 0) add_slot(1, "momentum");
  if (o_.centered) add_slot(2, "grad_avg");
}

OptimStepParams Rmsprop::step_params(int64_t /*t*/) const {
  OptimStepParams p;
  p.kind = OptimKind::Rmsprop;
  p.lr = lr();
  p.beta2 = o_.rho;
  p.eps = o_.eps;
  p.momentum = o_.momentum;
  p.centered = o_.centered;
  p.weight_decay = o_.weight_decay;
  p.step_size = lr();
  return p;
}

}  // namespace cudanet
