#pragma once
// The parameters of the fused optimizer step (optim_step_, core/ops.h): which
// update rule, its hyperparameters, and what each rule keeps in its state
// slots. Set by optim/ (SGD, Adam, AdamW, RMSprop), read by both backends'
// per-element update (kernels/common/optim_step.h).
//
// The update rules are PyTorch's (torch.optim.SGD, Adam, AdamW, RMSprop with
// their default foreach=False formulas); the defaults chosen by optim/ are Keras's
// where the two differ in epsilon (see optim/optimizer.h).
#include "core/dtype.h"

namespace cudanet {

enum class OptimKind : unsigned char { Sgd, Adam, AdamW, Rmsprop };

// Which state slot holds what, per kind (a null pointer where a slot is unused):
//   Sgd:     state[0] momentum buffer (momentum > 0)
//   Adam(W): state[0] first moment m, state[1] second moment v, state[2] max v (amsgrad)
//   Rmsprop: state[0] square average, state[1] momentum buffer (momentum > 0),
//            state[2] gradient average (centered)
constexpr int kOptimSlots = 3;

struct OptimStepParams {
  OptimKind kind = OptimKind::Sgd;
  DType dtype = DType::f32;  // of every parameter, gradient and state tensor
  double lr = 0;
  double momentum = 0;       // Sgd, Rmsprop
  double beta1 = 0;          // Adam(W)
  double beta2 = 0;          // Adam(W); Rmsprop: rho (PyTorch's alpha)
  double eps = 0;
  double weight_decay = 0;   // L2 added to the gradient (Sgd, Adam, Rmsprop); AdamW: decoupled
  bool nesterov = false, amsgrad = false, centered = false;
  // Host arithmetic on the step count t (1 for the first step), so the device never syncs:
  double step_size = 0;              // Adam(W): lr / (1 - beta1^t); others: lr
  double bias_correction2_sqrt = 1;  // Adam(W): sqrt(1 - beta2^t)
  double decay_factor = 1;           // AdamW: 1 - lr * weight_decay
};

}  // namespace cudanet
