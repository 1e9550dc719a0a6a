#pragma once
// Module: the base of every layer. Parameters and buffers are registered by
// name so they can be listed, moved between devices, saved and loaded.
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace cudanet {

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  // The shape this module produces for an input of `in` (batch dimension
  // excluded); throws naming the layer, the shape that arrived and the one expected.
  virtual Shape output_shape(const Shape& in) const = 0;
  // "conv32x3", "dense64", ...: how the layer appears in summaries and errors.
  virtual std::string name() const = 0;

  // Trainable tensors, "0.weight", "0.bias", ... in a fixed order.
  NamedTensors named_parameters() const;
  std::vector<Tensor> parameters() const;
  // Non-trainable state saved with the model (batch-norm running statistics).
  NamedTensors named_buffers() const;
  int64_t num_parameters() const;

  void train(bool on = true);
  void eval() { train(false); }
  bool training() const { return training_; }
  // Moves every parameter and buffer (keeping requires_grad).
  void to(Device device);
  Device device() const { return device_; }

 protected:
  void register_parameter(const std::string& name, Tensor* t) { params_.push_back({name, t}); }
  void register_buffer(const std::string& name, Tensor* t) { buffers_.push_back({name, t}); }
  void register_module(const std::string& name, Module* m) { children_.push_back({name, m}); }

 private:
  void collect(const std::string& prefix, NamedTensors& out, bool buffers) const;

  std::vector<std::pair<std::string, Tensor*>> params_, buffers_;
  std::vector<std::pair<std::string, Module*>> children_;
  bool training_ = true;
  Device device_ = Device::cpu();
};

}  // namespace cudanet
