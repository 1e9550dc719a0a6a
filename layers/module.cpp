#include "layers/module.h"

namespace cudanet {

void Module::collect(const std::string& prefix, NamedTensors& out, bool buffers) const {
  for (const auto& [n, t] : buffers ? buffers_ : params_) out.push_back({prefix + n, *t});
  for (const auto& [n, m] : children_) m->collect(prefix + n + ".", out, buffers);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", out, false);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", out, true);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, m] : children_) m->train(on);
}

void Module::to(Device device) {
  for (auto& [n, t] : params_) {
    const bool rg = t->requires_grad();
    *t = t->detach().to(device);
    t->set_requires_grad(rg);
  }
  for (auto& [n, t] : buffers_) *t = t->to(device);
  for (auto& [n, m] : children_) m->to(device);
  device_ = device;
}

}  // namespace cudanet
