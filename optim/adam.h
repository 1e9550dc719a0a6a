#pragma once
// Adam and AdamW in PyTorch's form (torch.optim.Adam / AdamW), t = step count:
//   g = grad + weight_decay * x                 (Adam's L2, off by default)
//   x = x * (1 - lr * weight_decay)             (AdamW: decoupled decay instead)
//   m = beta1 * m + (1 - beta1) * g
//   v = beta2 * v + (1 - beta2) * g^2
//   vmax = max(vmax, v), used for v below       (amsgrad)
//   x = x - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// Keras adds eps to sqrt(v) before the bias correction (its eps is in effect
// eps * sqrt(1 - beta2^t) here); the two differ only where sqrt(v) is near eps.
// eps defaults to Keras's 1e-7, not PyTorch's 1e-8: the reference model is Keras's.
#include "optim/optimizer.h"

namespace cudanet {

struct AdamOptions {
  double lr = 1e-3;           // Keras and PyTorch
  double beta1 = 0.9;         // in [0, 1)
  double beta2 = 0.999;       // in [0, 1)
  double eps = 1e-7;          // Keras's default; PyTorch's is 1e-8
  double weight_decay = 0.0;  // L2 penalty added to the gradient
  bool amsgrad = false;
};

// AdamW's options are Adam's with decoupled weight decay on by default.
struct AdamWOptions : AdamOptions {
  AdamWOptions() { weight_decay = 0.01; }  // PyTorch's default (Keras's is 0.004)
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {});
  const char* name() const override { return decoupled_ ? "adamw" : "adam"; }
  const AdamOptions& options() const { return o_; }

 protected:
  Adam(std::vector<Tensor> params, const AdamOptions& options, bool decoupled);
  OptimStepParams step_params(int64_t t) const override;

 private:
  AdamOptions o_;
  bool decoupled_ = false;
};

class AdamW : public Adam {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
};

}  // namespace cudanet
