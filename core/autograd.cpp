#include "core/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "core/ops.h"

namespace cudanet {

namespace {
thread_local bool t_grad_enabled = true;

void accumulate(std::shared_ptr<TensorImpl>& slot, const Tensor& g) {
  if (!slot) {
    slot = g.impl_ptr();
  } else {
    slot = add(Tensor(slot), g).impl_ptr();
  }
}
}  // namespace

bool grad_enabled() { return t_grad_enabled; }
NoGradGuard::NoGradGuard() : prev_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = prev_; }

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t && t->defined() && t->requires_grad()) return true;
  return false;
}

void record(Tensor& out, const char* name, std::vector<Tensor> inputs, BackwardFn backward) {
  auto node = std::make_shared<Node>();
  node->name = name;
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  out.impl().requires_grad = true;
  out.impl().grad_fn = std::move(node);
}

void zero_grad(const std::vector<Tensor>& params) {
  for (const Tensor& p : params)
    if (p.grad().defined()) fill_(p.grad(), 0.0);
}

void Tensor::backward(const Tensor& seed) const {
  CUDANET_CHECK(requires_grad(), "backward() on tensor ", describe(),
                " which does not require grad (no graph was recorded for it)");
  Tensor g0 = seed;
  if (!g0.defined()) {
    CUDANET_CHECK(numel() == 1, "backward() on non-scalar tensor ", describe(),
                  " needs a seed gradient of the same shape");
    g0 = Tensor::full(shape(), 1.0, dtype(), device());
  } else {
    CUDANET_CHECK(g0.shape() == shape(), "backward() seed gradient has shape ", g0.shape().str(),
                  " but the tensor has shape ", shape().str());
    check_same_device(g0, *this, "backward");
    check_same_dtype(g0, *this, "backward");
  }
  NoGradGuard no_grad;  // gradients are not themselves differentiated

  if (is_leaf()) {
    auto& slot = impl().grad;
    if (slot) add_(Tensor(slot), g0);
    else slot = g0.clone().impl_ptr();
    return;
  }

  // Topological order of the nodes reachable from this tensor (iterative DFS).
  std::vector<Node*> order;
  std::unordered_set<Node*> seen;
  std::vector<std::pair<Node*, size_t>> stack{{grad_fn().get(), 0}};
  seen.insert(grad_fn().get());
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const Tensor& in = node->inputs[next++];
      Node* child = in.defined() ? in.impl().grad_fn.get() : nullptr;
      if (child && seen.insert(child).second) stack.push_back({child, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }

  std::unordered_map<Node*, std::shared_ptr<TensorImpl>> grads;
  grads[grad_fn().get()] = g0.impl_ptr();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = *it;
    auto found = grads.find(node);
    if (found == grads.end()) continue;  // no gradient flowed into this branch
    Tensor g(found->second);
    grads.erase(found);
    std::vector<Tensor> in_grads = node->backward(g);
    CUDANET_CHECK(in_grads.size() == node->inputs.size(), "backward of ", node->name, " returned ",
                  in_grads.size(), " gradients for ", node->inputs.size(), " inputs");
    for (size_t i = 0; i < in_grads.size(); ++i) {
      const Tensor& in = node->inputs[i];
      if (!in.defined() || !in.requires_grad() || !in_grads[i].defined()) continue;
      CUDANET_CHECK(in_grads[i].shape() == in.shape(), "backward of ", node->name, ": gradient ",
                    in_grads[i].describe(), " for input ", in.describe());
      if (in.is_leaf()) {
        // Leaves keep one gradient buffer for their lifetime: the first
        // gradient is copied into a fresh buffer (it may alias another's),
        // later ones are added in place.
        auto& slot = in.impl().grad;
        if (!slot) slot = in_grads[i].clone().impl_ptr();
        else add_(Tensor(slot), in_grads[i]);
      } else {
        accumulate(grads[in.impl().grad_fn.get()], in_grads[i]);
      }
    }
  }
}

}  // namespace cudanet
