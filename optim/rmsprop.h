#pragma once
// RMSprop in PyTorch's form (torch.optim.RMSprop):
//   g = grad + weight_decay * x
//   s = rho * s + (1 - rho) * g^2
//   a = rho * a + (1 - rho) * g; var = s - a^2  (centered; else var = s)
//   u = g / (sqrt(var) + eps)
//   buf = momentum * buf + u; x = x - lr * buf  (momentum > 0; else x = x - lr * u)
// Keras computes g / sqrt(var + eps) and keeps lr inside its momentum buffer;
// the defaults below are Keras's (PyTorch: lr 0.01, alpha 0.99, eps 1e-8).
#include "optim/optimizer.h"

namespace cudanet {

struct RmspropOptions {
  double lr = 1e-3;           // Keras's default
  double rho = 0.9;           // Keras's default (PyTorch's alpha); in [0, 1)
  double eps = 1e-7;          // Keras's default
  double momentum = 0.0;      // in [0, 1)
  bool centered = false;      // divide by the estimated variance instead of the raw second moment
  double weight_decay = 0.0;  // L2 penalty added to the gradient
};

class Rmsprop : public Optimizer {
 public:
  explicit Rmsprop(std::vector<Tensor> params, const RmspropOptions& options = {});
  const char* name() const override { return "rmsprop"; }
  const RmspropOptions& options() const { return o_; }

 protected:
  OptimStepParams step_params(int64_t t) const override;

 private:
  RmspropOptions o_;
};

}  // namespace cudanet
