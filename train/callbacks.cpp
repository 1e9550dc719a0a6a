// The monitored quantity, EarlyStopping and ReduceLROnPlateau (Keras 3's rules).
#include "train/callbacks.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cmath>

#include "core/error.h"
#include "layers/module.h"

namespace cudanet {

namespace {

constexpr const char* kMonitors[] = {"loss", "accuracy", "val_loss", "val_accuracy"};

bool is_validation(const std::string& monitor) { return monitor.rfind("val_", 0) == 0; }

// A callback that monitors a val_ quantity needs a validation set to see it.
void require_monitor_seen(const std::string& monitor, const TrainState& s, const char* who) {
  check_monitor(monitor);
  CUDANET_CHECK(!is_validation(monitor) || s.has_validation, who, " monitors ", monitor,
                ", but fit() has no validation set: give one, or monitor loss or accuracy");
}

std::vector<Tensor> state_tensors(const Module& m) {
  std::vector<Tensor> out;
  for (const auto& [name, t] : m.named_parameters()) out.push_back(t);
  for (const auto& [name, t] : m.named_buffers()) out.push_back(t);
  return out;
}

}  // namespace

std::string float_text(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string sci(buf, r.ptr);
  const size_t e = sci.find('e');
  const int exp = std::atoi(sci.c_str() + e + 1);
  if (exp < -4 || exp >= 16) {
    const int mag = exp < 0 ? -exp : exp;
    return sci.substr(0, e) + (exp < 0 ? "e-" : "e+") + (mag < 10 ? "0" : "") + std::to_string(mag);
  }
  r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  std::string fixed(buf, r.ptr);
  if (fixed.find('.') == std::string::npos) fixed += ".0";
  return fixed;
}

void check_monitor(const std::string& monitor) {
  for (const char* m : kMonitors)
    if (monitor == m) return;
  throw Error("cannot monitor '" + monitor + "': the quantities are loss, accuracy, val_loss and val_accuracy");
}

double monitor_value(const EpochStats& s, const std::string& monitor) {
  check_monitor(monitor);
  CUDANET_CHECK(!is_validation(monitor) || s.has_val, "epoch ", s.epoch, " has no ", monitor, " (no validation set)");
  if (monitor == "loss") return s.loss;
  if (monitor == "accuracy") return s.accuracy;
  if (monitor == "val_loss") return s.val_loss;
  return s.val_accuracy;
}

MonitorMode parse_monitor_mode(const std::string& mode) {
  if (mode == "auto") return MonitorMode::Auto;
  if (mode == "min") return MonitorMode::Min;
  if (mode == "max") return MonitorMode::Max;
  throw Error("monitor mode '" + mode + "': expected auto, min or max");
}

MonitorBest::MonitorBest(std::string monitor, MonitorMode mode, double min_delta)
    : monitor_(std::move(monitor)),
      maximize_(mode == MonitorMode::Max || (mode == MonitorMode::Auto && monitor_.find("acc") != std::string::npos)),
      min_delta_(min_delta) {
  check_monitor(monitor_);
  CUDANET_CHECK(std::isfinite(min_delta) && min_delta >= 0, "min_delta ", min_delta, ": expected a finite number >= 0");
  reset();
}

void MonitorBest::reset() {
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

bool MonitorBest::beats(double current, double reference) const {
  return maximize_ ? current - min_delta_ > reference : current + min_delta_ < reference;
}

// ---- EarlyStopping ----

EarlyStopping::EarlyStopping(EarlyStoppingOptions o) : o_(std::move(o)), best_(o_.monitor, o_.mode, o_.min_delta) {
  CUDANET_CHECK(o_.patience >= 0, "early stopping: patience ", o_.patience, " is negative");
  CUDANET_CHECK(!o_.baseline || std::isfinite(*o_.baseline), "early stopping: the baseline must be finite");
}

void EarlyStopping::on_train_begin(TrainState& s) {
  require_monitor_seen(o_.monitor, s, "early stopping");
  best_.reset();
  if (o_.baseline) best_.set_best(*o_.baseline);
  wait_ = stopped_epoch_ = best_epoch_ = restored_epoch_ = held_epoch_ = 0;
  weights_.clear();
  // A resumed run: the counters go on from the epochs it has already trained.
  for (const EpochStats& e : s.history) update(e, nullptr);
  stopped_epoch_ = 0;
}

void EarlyStopping::update(const EpochStats& e, TrainState* s) {
  const double current = monitor_value(e, o_.monitor);
  auto hold = [&] {
    if (!s || !o_.restore_best_weights) return;
    const std::vector<Tensor> now = state_tensors(s->model);
    weights_.clear();
    for (const Tensor& t : now) weights_.push_back(t.detach().clone());
    held_epoch_ = e.epoch;
  };
  // Keras: weights never held yet are the best so far.
  if (o_.restore_best_weights && best_epoch_ == 0) best_epoch_ = e.epoch, hold();
  ++wait_;
  if (best_.improves(current)) {
    best_.set_best(current);
    best_epoch_ = e.epoch;
    hold();
    // Only an epoch that also beats the baseline restarts the wait.
    if (!o_.baseline || best_.beats(current, *o_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= o_.patience && e.epoch > 1) {
    stopped_epoch_ = e.epoch;
    if (s) s->stop = true;
  }
}

void EarlyStopping::on_epoch_end(const EpochStats& e, TrainState& s) { update(e, &s); }

void EarlyStopping::on_train_end(TrainState& s) {
  if (!o_.restore_best_weights || held_epoch_ == 0 || held_epoch_ != best_epoch_) return;
  const std::vector<Tensor> now = state_tensors(s.model);
  CUDANET_CHECK(now.size() == weights_.size(), "early stopping: the model changed its tensors during training");
  for (size_t i = 0; i < now.size(); ++i) {
    Tensor t = now[i];
    t.copy_(weights_[i]);
  }
  restored_epoch_ = held_epoch_;
}

// ---- ReduceLROnPlateau ----

ReduceLrOnPlateau::ReduceLrOnPlateau(ReduceLrOnPlateauOptions o)
    : o_(std::move(o)), best_(o_.monitor, o_.mode, o_.min_delta) {
  CUDANET_CHECK(o_.factor > 0 && o_.factor < 1, "reduce lr on plateau: factor ", o_.factor, " is not in (0, 1)");
  CUDANET_CHECK(o_.patience >= 0 && o_.cooldown >= 0, "reduce lr on plateau: patience ", o_.patience,
                " and cooldown ", o_.cooldown, " must be >= 0");
  CUDANET_CHECK(std::isfinite(o_.min_lr) && o_.min_lr >= 0, "reduce lr on plateau: min_lr ", o_.min_lr,
                " is not a finite number >= 0");
}

void ReduceLrOnPlateau::on_train_begin(TrainState& s) {
  require_monitor_seen(o_.monitor, s, "reduce lr on plateau");
  best_.reset();
  wait_ = cooldown_left_ = reductions_ = 0;
  s.lr_scale = 1;
  // A resumed run's rate goes on from where its epochs took it; those reductions are not told again.
  auto told = std::move(o_.on_reduce);
  o_.on_reduce = nullptr;
  for (const EpochStats& e : s.history) update(e, s);
  o_.on_reduce = std::move(told);
}

void ReduceLrOnPlateau::update(const EpochStats& e, TrainState& s) {
  const double current = monitor_value(e, o_.monitor);
  if (cooldown_left_ > 0) --cooldown_left_, wait_ = 0;
  if (best_.improves(current)) {
    best_.set_best(current);
    wait_ = 0;
    return;
  }
  if (cooldown_left_ > 0 || ++wait_ < o_.patience || s.base_lr <= 0) return;
  const double old_lr = s.base_lr * s.lr_scale;
  // Compared in float32, as Keras does, so a rate already at min_lr is not "reduced" by rounding.
  if (static_cast<float>(old_lr) <= static_cast<float>(o_.min_lr)) return;
  const double new_lr = std::max(old_lr * o_.factor, o_.min_lr);
  s.lr_scale = new_lr / s.base_lr;
  cooldown_left_ = o_.cooldown;
  wait_ = 0;
  ++reductions_;
  if (o_.on_reduce) o_.on_reduce(e.epoch, old_lr, new_lr);
}

void ReduceLrOnPlateau::on_epoch_end(const EpochStats& e, TrainState& s) { update(e, s); }

}  // namespace cudanet
