#pragma once
// Learning-rate schedules, computed on the host from the step number (0 for
// the first step). Each has an optional linear warm-up of W steps:
//   lr(s) = base_lr * (s + 1) / W            for s < W (never 0, base_lr at s = W - 1)
//   lr(s) = decayed(s - W)                   after, so the decay starts when warm-up ends
// The trainer calls apply(optimizer) before every optimizer step.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "optim/optimizer.h"

namespace cudanet {

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  double lr(int64_t step) const;
  // Sets the optimizer's lr for its next step, lr(optimizer.step_count()).
  void apply(Optimizer& optimizer) const;
  double base_lr() const { return base_lr_; }
  int64_t warmup_steps() const { return warmup_; }
  virtual const char* name() const = 0;  // "constant", "step", "exponential", "cosine"

 protected:
  LrSchedule(double base_lr, int64_t warmup_steps, const char* who);
  // The rate s >= 0 steps after warm-up.
  virtual double decayed(int64_t s) const = 0;

 private:
  double base_lr_;
  int64_t warmup_;
};

// base_lr throughout.
class ConstantLr : public LrSchedule {
 public:
  explicit ConstantLr(double base_lr, int64_t warmup_steps = 0);
  const char* name() const override { return "constant"; }

 protected:
  double decayed(int64_t s) const override;
};

// base_lr * gamma^floor(s / step_size), PyTorch's StepLR (gamma 0.1 by default there too).
class StepLr : public LrSchedule {
 public:
  StepLr(double base_lr, int64_t step_size, double gamma = 0.1, int64_t warmup_steps = 0);
  const char* name() const override { return "step"; }

 protected:
  double decayed(int64_t s) const override;

 private:
  int64_t step_size_;
  double gamma_;
};

// base_lr * gamma^s, gamma in (0, 1].
class ExponentialLr : public LrSchedule {
 public:
  ExponentialLr(double base_lr, double gamma, int64_t warmup_steps = 0);
  const char* name() const override { return "exponential"; }

 protected:
  double decayed(int64_t s) const override;

 private:
  double gamma_;
};

// min_lr + (base_lr - min_lr) * (1 + cos(pi * min(s, decay_steps) / decay_steps)) / 2:
// half a cosine from base_lr down to the floor min_lr, then min_lr
// (PyTorch's CosineAnnealingLR without restarts, Keras's CosineDecay with alpha = min_lr / base_lr).
class CosineLr : public LrSchedule {
 public:
  CosineLr(double base_lr, int64_t decay_steps, double min_lr = 0.0, int64_t warmup_steps = 0);
  const char* name() const override { return "cosine"; }

 protected:
  double decayed(int64_t s) const override;

 private:
  int64_t decay_steps_;
  double min_lr_;
};

// What the command line sets; a field the named schedule does not use is an
// error, and one it needs without a default (step_size for step, gamma for
// exponential, decay_steps for cosine) must be set.
struct LrScheduleOptions {
  double base_lr = 1e-3;
  int64_t warmup_steps = 0;
  std::optional<int64_t> step_size, decay_steps;
  std::optional<double> gamma, min_lr;
};

// name: constant, step, exponential or cosine.
std::unique_ptr<LrSchedule> make_lr_schedule(const std::string& name, const LrScheduleOptions& options);

}  // namespace cudanet
