#pragma once
// One optimizer step over every parameter, shared by the CPU and CUDA backends:
// the per-tensor descriptors that let one launch cover all parameters and the
// per-element update both backends run. The kinds and hyperparameters are
// public: core/optim_step_params.h.
#include <cmath>
#include <cstdint>

#include "core/optim_step_params.h"
#include "kernels/common/philox.h"  // CUDANET_HD

namespace cudanet {

// One parameter of the concatenated element range [start, start + numel).
// No padding: the entry point compares descriptors as bytes.
struct OptimTensorDesc {
  void* param = nullptr;
  const void* grad = nullptr;
  void* state[kOptimSlots] = {nullptr, nullptr, nullptr};
  int64_t numel = 0;
  int64_t start = 0;
};

// Updates one element: x the parameter, g its gradient, s0..s2 its state slots.
template <class T>
CUDANET_HD void optim_update(const OptimStepParams& p, T& x, T g, T* s0, T* s1, T* s2) {
  switch (p.kind) {
    case OptimKind::Sgd: {
      if (p.weight_decay != 0) g += T(p.weight_decay) * x;
      if (p.momentum != 0) {
        // A zero-initialised buffer makes the first step buf = g, as PyTorch's clone does.
        const T mu = T(p.momentum);
        *s0 = mu * *s0 + g;
        g = p.nesterov ? g + mu * *s0 : *s0;
      }
      x -= T(p.lr) * g;
      return;
    }
    case OptimKind::Adam:
    case OptimKind::AdamW: {
      if (p.kind == OptimKind::AdamW) x *= T(p.decay_factor);
      else if (p.weight_decay != 0) g += T(p.weight_decay) * x;
      *s0 = T(p.beta1) * *s0 + T(1 - p.beta1) * g;
      *s1 = T(p.beta2) * *s1 + T(1 - p.beta2) * g * g;
      T v = *s1;
      if (p.amsgrad) {
        if (*s2 > v) v = *s2;
        *s2 = v;
      }
      const T denom = std::sqrt(v) / T(p.bias_correction2_sqrt) + T(p.eps);
      x -= T(p.step_size) * (*s0 / denom);
      return;
    }
    case OptimKind::Rmsprop: {
      if (p.weight_decay != 0) g += T(p.weight_decay) * x;
      const T rho = T(p.beta2), one_minus_rho = T(1 - p.beta2);
      *s0 = rho * *s0 + one_minus_rho * g * g;
      T var = *s0;
      if (p.centered) {
        *s2 = rho * *s2 + one_minus_rho * g;
        var -= *s2 * *s2;
        // Exactly non-negative (the averages' weights sum below 1), but rounding
        // can push it under zero, where sqrt would give NaN.
        if (var < T(0)) var = T(0);
      }
      const T scaled = g / (std::sqrt(var) + T(p.eps));
      if (p.momentum != 0) {
        *s1 = T(p.momentum) * *s1 + scaled;
        x -= T(p.lr) * *s1;
      } else {
        x -= T(p.lr) * scaled;
      }
      return;
    }
  }
}

}  // namespace cudanet
