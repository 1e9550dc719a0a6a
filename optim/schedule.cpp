#include "optim/schedule.h"

#include <cmath>
#include <numbers>

namespace cudanet {

LrSchedule::LrSchedule(double base_lr, int64_t warmup_steps, const char* who)
    : base_lr_(base_lr), warmup_(warmup_steps) {
  check_lr(who, base_lr);
  CUDANET_CHECK(warmup_steps >= 0, who, ": warmup_steps must be >= 0, got ", warmup_steps);
}

double LrSchedule::lr(int64_t step) const {
  CUDANET_CHECK(step >= 0, name(), " schedule: step must be >= 0, got ", step);
  if (step < warmup_) return base_lr_ * static_cast<double>(step + 1) / static_cast<double>(warmup_);
  return decayed(step - warmup_);
}

void LrSchedule::apply(Optimizer& optimizer) const { optimizer.set_lr(lr(optimizer.step_count())); }

ConstantLr::ConstantLr(double base_lr, int64_t warmup_steps) : LrSchedule(base_lr, warmup_steps, "constant schedule") {}

double ConstantLr::decayed(int64_t) const { return base_lr(); }

namespace {
void check_gamma(const char* who, double gamma) {
  CUDANET_CHECK(gamma > 0 && gamma <= 1, who, ": gamma must be in (0, 1], got ", gamma);
}
}  // namespace

StepLr::StepLr(double base_lr, int64_t step_size, double gamma, int64_t warmup_steps)
    : LrSchedule(base_lr, warmup_steps, "step schedule"), step_size_(step_size), gamma_(gamma) {
  CUDANET_CHECK(step_size > 0, "step schedule: step_size must be > 0, got ", step_size);
  check_gamma("step schedule", gamma);
}

double StepLr::decayed(int64_t s) const {
  return base_lr() * std::pow(gamma_, static_cast<double>(s / step_size_));
}

ExponentialLr::ExponentialLr(double base_lr, double gamma, int64_t warmup_steps)
    : LrSchedule(base_lr, warmup_steps, "exponential schedule"), gamma_(gamma) {
  check_gamma("exponential schedule", gamma);
}

double ExponentialLr::decayed(int64_t s) const { return base_lr() * std::pow(gamma_, static_cast<double>(s)); }

CosineLr::CosineLr(double base_lr, int64_t decay_steps, double min_lr, int64_t warmup_steps)
    : LrSchedule(base_lr, warmup_steps, "cosine schedule"), decay_steps_(decay_steps), min_lr_(min_lr) {
  CUDANET_CHECK(decay_steps > 0, "cosine schedule: decay_steps must be > 0, got ", decay_steps);
  CUDANET_CHECK(min_lr >= 0 && min_lr <= base_lr, "cosine schedule: min_lr must be in [0, base_lr = ", base_lr,
                "], got ", min_lr);
}

double CosineLr::decayed(int64_t s) const {
  const double progress = static_cast<double>(s < decay_steps_ ? s : decay_steps_) / static_cast<double>(decay_steps_);
  return min_lr_ + (base_lr() - min_lr_) * 0.5 * (1 + std::cos(std::numbers::pi * progress));
}

std::unique_ptr<LrSchedule> make_lr_schedule(const std::string& name, const LrScheduleOptions& o) {
  auto reject = [&](bool is_set, const char* field) {
    CUDANET_CHECK(!is_set, name, " schedule has no option ", field);
  };
  auto require = [&](bool is_set, const char* field) {
    CUDANET_CHECK(is_set, name, " schedule needs ", field);
  };
  if (name == "constant") {
    reject(o.step_size.has_value(), "step_size");
    reject(o.decay_steps.has_value(), "decay_steps");
    reject(o.gamma.has_value(), "gamma");
    reject(o.min_lr.has_value(), "min_lr");
    return std::make_unique<ConstantLr>(o.base_lr, o.warmup_steps);
  }
  if (name == "step") {
    require(o.step_size.has_value(), "step_size");
    reject(o.decay_steps.has_value(), "decay_steps");
    reject(o.min_lr.has_value(), "min_lr");
    return std::make_unique<StepLr>(o.base_lr, *o.step_size, o.gamma.value_or(0.1), o.warmup_steps);
  }
  if (name == "exponential") {
    require(o.gamma.has_value(), "gamma");
    reject(o.step_size.has_value(), "step_size");
    reject(o.decay_steps.has_value(), "decay_steps");
    reject(o.min_lr.has_value(), "min_lr");
    return std::make_unique<ExponentialLr>(o.base_lr, *o.gamma, o.warmup_steps);
  }
  if (name == "cosine") {
    require(o.decay_steps.has_value(), "decay_steps");
    reject(o.step_size.has_value(), "step_size");
    reject(o.gamma.has_value(), "gamma");
    return std::make_unique<CosineLr>(o.base_lr, *o.decay_steps, o.min_lr.value_or(0.0), o.warmup_steps);
  }
  CUDANET_FAIL("unknown learning-rate schedule '", name, "' (choose constant, step, exponential or cosine)");
}

}  // namespace cudanet
