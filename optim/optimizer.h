#pragma once
// Optimizer: updates a fixed list of parameters from their .grad() with one
// fused update over all of them (one kernel launch on CUDA). Parameters,
// gradients and state stay on the parameters' device.
//
// Conventions (the numbers are in each optimizer's options struct):
// - Update rules are PyTorch's (torch.optim.SGD, Adam, AdamW, RMSprop). Where
//   Keras computes differently, the difference is stated next to the option.
// - Defaults are Keras's, because the reference model comes from Keras: SGD lr
//   0.01; Adam and RMSprop epsilon 1e-7 (PyTorch uses 1e-8); RMSprop lr 1e-3 and
//   rho 0.9 (PyTorch: lr 1e-2, alpha 0.99). AdamW's weight decay 0.01 is
//   PyTorch's (Keras uses 0.004).
// - step() counts calls (t = 1 on the first) for the bias corrections and
//   updates only parameters that have a gradient; state is created zero-filled
//   at construction, so state() is complete from the start.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ops.h"
#include "core/optim_step_params.h"
#include "core/tensor.h"

namespace cudanet {

class Optimizer {
 public:
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient. On CUDA: one kernel
  // launch, no allocation and no host sync (the first step, and the first after
  // the set of gradient buffers changes, uploads the parameter descriptors).
  // The learning rate and bias corrections travel as kernel arguments computed
  // on the host, so a CUDA graph that captures step() replays the captured
  // values: keep the optimizer step outside the graph, or re-capture it.
  void step();
  // Fills every gradient with zeros, keeping its buffer.
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);  // throws unless lr is finite and >= 0
  int64_t step_count() const { return step_; }
  const std::vector<Tensor>& params() const { return params_; }
  // "sgd", "adam", "adamw", "rmsprop": the prefix of every state name.
  virtual const char* name() const = 0;

  // The step counter ("<name>.step", float64, shape (), exact up to 2^53) then
  // every state slot per parameter ("adam.m.0", "adam.m.1", ..., "adam.v.0", ...).
  // Slot tensors are the live state, not copies.
  NamedTensors state() const;
  // Copies a state() result back, from any device. Checks that the names, shapes
  // and dtypes match this optimizer's own and reports every mismatch at once.
  void load_state(const NamedTensors& saved);

 protected:
  // params: leaf tensors that require grad, one dtype (float32 or float64), one device.
  Optimizer(std::vector<Tensor> params, double lr, const char* who);
  // Allocates state slot `index` (see kOptimSlots) for every parameter.
  void add_slot(int index, const char* slot_name);
  // The kind and hyperparameters of step t (t >= 1), lr() included.
  virtual OptimStepParams step_params(int64_t t) const = 0;

 private:
  std::vector<Tensor> params_;
  double lr_ = 0;
  int64_t step_ = 0;
  std::vector<std::string> slot_names_;
  std::vector<std::vector<Tensor>> slots_;  // [slot][param]; empty where unused
  // Reused while the parameter set and gradient buffers are unchanged, so
  // step() allocates nothing.
  OptimStepCache step_cache_;
};

// Hyperparameter checks shared by the optimizers: each throws naming the
// optimizer, the option, its value and the accepted range.
void check_lr(const char* who, double lr);
void check_unit_interval(const char* who, const char* option, double v);  // [0, 1)
void check_non_negative(const char* who, const char* option, double v);
void check_positive(const char* who, const char* option, double v);

// What the command line sets; an unset field takes the named optimizer's
// default, and a set field the optimizer does not have is an error.
struct OptimizerOptions {
  std::optional<double> lr, momentum, beta1, beta2, eps, weight_decay, rho;
  std::optional<bool> nesterov, amsgrad, centered;
};

// The optimizers make_optimizer builds, by name.
inline constexpr const char* kOptimizerNames[] = {"sgd", "adam", "adamw", "rmsprop"};
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, std::vector<Tensor> params,
                                          const OptimizerOptions& options = {});

}  // namespace cudanet
