#pragma once
// Stochastic gradient descent with optional momentum, Nesterov momentum and L2
// weight decay, in PyTorch's form (torch.optim.SGD with dampening 0):
//   g = grad + weight_decay * x
//   buf = momentum * buf + g                    (momentum > 0)
//   g = nesterov ? g + momentum * buf : buf     (momentum > 0)
//   x = x - lr * g
// Keras keeps v = momentum * v - lr * g instead; the two agree while lr is
// constant and differ after an lr change (PyTorch's buffer carries no lr).
#include "optim/optimizer.h"

namespace cudanet {

struct SgdOptions {
  double lr = 0.01;           // Keras's default (PyTorch requires an explicit lr)
  double momentum = 0.0;      // in [0, 1)
  bool nesterov = false;      // needs momentum > 0
  double weight_decay = 0.0;  // L2 penalty added to the gradient
};

class Sgd : public Optimizer {
 public:
  explicit Sgd(std::vector<Tensor> params, const SgdOptions& options = {});
  const char* name() const override { return "sgd"; }
  const SgdOptions& options() const { return o_; }

 protected:
  OptimStepParams step_params(int64_t t) const override;

 private:
  SgdOptions o_;
};

}  // namespace cudanet
