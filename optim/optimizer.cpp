// The optimizer base: parameter checks, state slots, the step through the
// fused optim_step_ op, and state save/restore.
#include "optim/optimizer.h"

#include <cmath>
#include <map>
#include <set>

#include "core/autograd.h"

namespace cudanet {

void check_lr(const char* who, double lr) {
  CUDANET_CHECK(std::isfinite(lr) && lr >= 0, who, ": learning rate must be a finite number >= 0, got ", lr);
}
void check_unit_interval(const char* who, const char* option, double v) {
  CUDANET_CHECK(v >= 0 && v < 1, who, ": ", option, " must be in [0, 1), got ", v);
}
void check_non_negative(const char* who, const char* option, double v) {
  CUDANET_CHECK(std::isfinite(v) && v >= 0, who, ": ", option, " must be a finite number >= 0, got ", v);
}
void check_positive(const char* who, const char* option, double v) {
  CUDANET_CHECK(std::isfinite(v) && v > 0, who, ": ", option, " must be a finite number > 0, got ", v);
}

Optimizer::Optimizer(std::vector<Tensor> params, double lr, const char* who)
    : params_(std::move(params)), slot_names_(kOptimSlots), slots_(kOptimSlots) {
  check_lr(who, lr);
  lr_ = lr;
  CUDANET_CHECK(!params_.empty(), who, ": empty parameter list");
  std::set<const TensorImpl*> seen;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    CUDANET_CHECK(p.defined(), who, ": parameter ", i, " is an undefined tensor");
    CUDANET_CHECK(is_floating(p.dtype()), who, ": parameter ", i, " ", p.describe(), " is not float32 or float64");
    CUDANET_CHECK(p.requires_grad() && p.is_leaf(), who, ": parameter ", i, " ", p.describe(),
                  " must be a leaf tensor that requires grad");
    CUDANET_CHECK(p.dtype() == params_[0].dtype() && p.device() == params_[0].device(), who, ": parameter ", i,
                  " ", p.describe(), " differs in dtype or device from parameter 0 ", params_[0].describe(),
                  " (one fused update needs one dtype and one device)");
    CUDANET_CHECK(seen.insert(&p.impl()).second, who, ": parameter ", i, " ", p.describe(),
                  " appears more than once");
  }
}

Optimizer::~Optimizer() = default;

void Optimizer::add_slot(int index, const char* slot_name) {
  slot_names_[index] = slot_name;
  slots_[index].clear();
  for (const Tensor& p : params_) slots_[index].push_back(Tensor::zeros(p.shape(), p.dtype(), p.device()));
}

void Optimizer::set_lr(double lr) {
  check_lr(name(), lr);
  lr_ = lr;
}

void Optimizer::zero_grad() { cudanet::zero_grad(params_); }

void Optimizer::step() {
  const int64_t t = step_ + 1;
  optim_step_(params_, slots_, step_params(t), step_cache_, name());
  step_ = t;
}

NamedTensors Optimizer::state() const {
  const std::string prefix = std::string(name()) + ".";
  NamedTensors out;
  out.push_back({prefix + "step", Tensor::scalar(static_cast<double>(step_), DType::f64)});
  for (int k = 0; k < kOptimSlots; ++k)
    for (size_t i = 0; i < slots_[k].size(); ++i)
      out.push_back({prefix + slot_names_[k] + "." + std::to_string(i), slots_[k][i]});
  return out;
}

void Optimizer::load_state(const NamedTensors& saved) {
  std::vector<std::string> problems;
  std::map<std::string, Tensor> given;
  for (const auto& [n, t] : saved)
    if (!given.emplace(n, t).second) problems.push_back(n + " appears twice");
  const NamedTensors mine = state();
  std::set<std::string> expected;
  for (const auto& [n, t] : mine) {
    expected.insert(n);
    auto it = given.find(n);
    if (it == given.end()) {
      problems.push_back("missing " + n + " (expected " + t.describe() + ")");
    } else if (!it->second.defined()) {
      problems.push_back(n + " is an undefined tensor");
    } else if (it->second.shape() != t.shape() || it->second.dtype() != t.dtype()) {
      problems.push_back(n + " is " + it->second.describe() + ", expected " + t.describe());
    }
  }
  for (const auto& [n, t] : saved)
    if (!expected.count(n)) problems.push_back("unexpected " + n);
  double step = 0;
  if (problems.empty()) {
    step = given.at(mine[0].first).item();
    if (!(step >= 0 && step <= 9007199254740992.0 && step == std::floor(step)))
      problems.push_back(mine[0].first + " holds " + std::to_string(step) + ", not a step count");
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& s : problems) all += (all.empty() ? "" : "; ") + s;
    CUDANET_FAIL(name(), ".load_state: ", problems.size(), " mismatch(es) with this optimizer's state: ", all);
  }
  for (size_t k = 1; k < mine.size(); ++k) {
    Tensor live = mine[k].second;
    const Tensor& src = given.at(mine[k].first);
    if (src.data_ptr() != live.data_ptr()) live.copy_(src);  // load_state(state()) is a no-op
  }
  step_ = static_cast<int64_t>(step);
}

}  // namespace cudanet
