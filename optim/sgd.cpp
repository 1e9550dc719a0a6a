#include "optim/sgd.h"

#include "core/optim_step_params.h"

namespace cudanet {

Sgd::Sgd(std::vector<Tensor> params, const SgdOptions& options)
    : Optimizer(std::move(params), options.lr, "sgd"), o_(options) {
  check_unit_interval("sgd", "momentum", o_.momentum);
  check_non_negative("sgd", "weight_decay", o_.weight_decay);
  CUDANET_CHECK(!o_.nesterov || o_.momentum > 0, "sgd: nesterov needs momentum > 0, got momentum ", o_.momentum);
  if (o_.momentum > 0) add_slot(0, "momentum");
}

OptimStepParams Sgd::step_params(int64_t /*t*/) const {
  OptimStepParams p;
  p.kind = OptimKind::Sgd;
  p.lr = lr();
  p.momentum = o_.momentum;
  p.nesterov = o_.nesterov;
  p.weight_decay = o_.weight_decay;
  p.step_size = lr();
  return p;
}

}  // namespace cudanet
