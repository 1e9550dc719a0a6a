#pragma once
// Define-by-run autograd: each differentiable op records a Node holding its
// inputs and a backward function; Tensor::backward() runs the nodes in reverse
// topological order and accumulates into the leaves' .grad.
#include <functional>
#include <vector>

#include "core/tensor.h"

namespace cudanet {

// Returns one gradient per input (an undefined Tensor where none flows).
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_out)>;

struct Node {
  const char* name = "";
  std::vector<Tensor> inputs;
  BackwardFn backward;
};

bool grad_enabled();

// Evaluation scope: ops record nothing while one is alive.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

// True when grad mode is on and any input requires a gradient.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);

// Makes `out` the result of a recorded op. Saved tensors that alias `out`
// must be captured as out.detach() to avoid a reference cycle.
void record(Tensor& out, const char* name, std::vector<Tensor> inputs, BackwardFn backward);

// Sets every parameter's gradient to zero, keeping its buffer (stable addresses
// for the fused optimizers and for CUDA graphs).
void zero_grad(const std::vector<Tensor>& params);

}  // namespace cudanet
