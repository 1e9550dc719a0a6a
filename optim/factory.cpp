// make_optimizer: the command line's way to build an optimizer by name.
#include <string_view>

#include "optim/adam.h"
#include "optim/optimizer.h"
#include "optim/rmsprop.h"
#include "optim/sgd.h"

namespace cudanet {

namespace {

// Fails when `options` sets a field the named optimizer does not have.
void reject_unused(const std::string& name, const OptimizerOptions& o, std::initializer_list<std::string_view> takes) {
  auto taken = [&](std::string_view f) {
    for (auto t : takes)
      if (t == f) return true;
    return false;
  };
  const std::pair<std::string_view, bool> set[] = {
      {"lr", o.lr.has_value()},           {"momentum", o.momentum.has_value()},
      {"beta1", o.beta1.has_value()},     {"beta2", o.beta2.has_value()},
      {"eps", o.eps.has_value()},         {"weight_decay", o.weight_decay.has_value()},
      {"rho", o.rho.has_value()},         {"nesterov", o.nesterov.has_value()},
      {"amsgrad", o.amsgrad.has_value()}, {"centered", o.centered.has_value()},
  };
  for (const auto& [field, is_set] : set) {
    if (!is_set || taken(field)) continue;
    std::string list;
    for (auto t : takes) list += (list.empty() ? "" : ", ") + std::string(t);
    CUDANET_FAIL(name, " has no option ", field, " (it takes ", list, ")");
  }
}

template <class AdamLike>
AdamLike adam_options(const OptimizerOptions& o, AdamLike a) {
  a.lr = o.lr.value_or(a.lr);
  a.beta1 = o.beta1.value_or(a.beta1);
  a.beta2 = o.beta2.value_or(a.beta2);
  a.eps = o.eps.value_or(a.eps);
  a.weight_decay = o.weight_decay.value_or(a.weight_decay);
  a.amsgrad = o.amsgrad.value_or(a.amsgrad);
  return a;
}

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, std::vector<Tensor> params,
                                          const OptimizerOptions& o) {
  if (name == "sgd") {
    reject_unused(name, o, {"lr", "momentum", "nesterov", "weight_decay"});
    SgdOptions s;
    s.lr = o.lr.value_or(s.lr);
    s.momentum = o.momentum.value_or(s.momentum);
    s.nesterov = o.nesterov.value_or(s.nesterov);
    s.weight_decay = o.weight_decay.value_or(s.weight_decay);
    return std::make_unique<Sgd>(std::move(params), s);
  }
  if (name == "adam" || name == "adamw") {
    reject_unused(name, o, {"lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad"});
    if (name == "adam") return std::make_unique<Adam>(std::move(params), adam_options(o, AdamOptions{}));
    return std::make_unique<AdamW>(std::move(params), adam_options(o, AdamWOptions{}));
  }
  if (name == "rmsprop") {
    reject_unused(name, o, {"lr", "rho", "eps", "momentum", "centered", "weight_decay"});
    RmspropOptions r;
    r.lr = o.lr.value_or(r.lr);
    r.rho = o.rho.value_or(r.rho);
    r.eps = o.eps.value_or(r.eps);
    r.momentum = o.momentum.value_or(r.momentum);
    r.centered = o.centered.value_or(r.centered);
    r.weight_decay = o.weight_decay.value_or(r.weight_decay);
    return std::make_unique<Rmsprop>(std::move(params), r);
  }
  CUDANET_FAIL("unknown optimizer '", name, "' (choose sgd, adam, adamw or rmsprop)");
}

}  // namespace cudanet
