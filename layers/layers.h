#pragma once
// The layers: Conv2d, MaxPool2d, AvgPool2d, Dense (Linear), the activations,
// Flatten, Dropout, BatchNorm2d. Initialisation follows Keras's defaults:
// Glorot-uniform kernels and zero biases.
#include <string>

#include "core/ops.h"
#include "layers/module.h"

namespace cudanet {

class Conv2d : public Module {
 public:
  // padding: pixels of zero padding on each side; use same_padding(kernel) for "same".
  Conv2d(int in_channels, int out_channels, int kernel, int stride = 1, int padding = 0, bool bias = true,
         Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  Shape output_shape(const Shape& in) const override;
  std::string name() const override;
  void set_algo(Algo a) { params_.algo = a; }

  Tensor weight;  // (out, in, k, k)
  Tensor bias;    // (out) or undefined

 private:
  int in_, out_, kernel_;
  Conv2dParams params_;
};

class Pool2d : public Module {
 public:
  Pool2d(PoolMode mode, int kernel, int stride = -1, int padding = 0);
  Tensor forward(const Tensor& x) override;
  Shape output_shape(const Shape& in) const override;
  std::string name() const override;
  void set_algo(Algo a) { params_.algo = a; }

 private:
  Pool2dParams params_;
};

class MaxPool2d : public Pool2d {
 public:
  explicit MaxPool2d(int kernel, int stride = -1, int padding = 0) : Pool2d(PoolMode::Max, kernel, stride, padding) {}
};

class AvgPool2d : public Pool2d {
 public:
  explicit AvgPool2d(int kernel, int stride = -1, int padding = 0) : Pool2d(PoolMode::Avg, kernel, stride, padding) {}
};

// Keras's Dense, PyTorch's Linear: y = x W^T + b with W (out, in), the PyTorch
// layout, so a checkpoint's weights load into torch.nn.Linear unchanged.
class Dense : public Module {
 public:
  Dense(int in_features, int out_features, bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  Shape output_shape(const Shape& in) const override;
  std::string name() const override;
  void set_algo(Algo a) { algo_ = a; }

  Tensor weight;  // (out, in)
  Tensor bias;    // (out) or undefined

 private:
  int in_, out_;
  Algo algo_ = Algo::Default;
};
using Linear = Dense;

enum class ActivationKind { Relu, LeakyRelu, Sigmoid, Tanh, Softmax, LogSoftmax };

class Activation : public Module {
 public:
  explicit Activation(ActivationKind kind, double slope = 0.01) : kind_(kind), slope_(slope) {}
  Tensor forward(const Tensor& x) override;
  Shape output_shape(const Shape& in) const override { return in; }
  std::string name() const override;

 private:
  ActivationKind kind_;
  double slope_;
};

class ReLU : public Activation {
 public:
  ReLU() : Activation(ActivationKind::Relu) {}
};
class LeakyReLU : public Activation {
 public:
  explicit LeakyReLU(double slope = 0.01) : Activation(ActivationKind::LeakyRelu, slope) {}
};
class Sigmoid : public Activation {
 public:
  Sigmoid() : Activation(ActivationKind::Sigmoid) {}
};
class Tanh : public Activation {
 public:
  Tanh() : Activation(ActivationKind::Tanh) {}
};

class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x.reshape({x.size(0), -1}); }
  Shape output_shape(const Shape& in) const override { return Shape{in.numel()}; }
  std::string name() const override { return "flatten"; }
};

class Dropout : public Module {
 public:
  explicit Dropout(double p, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override { return dropout(x, p_, training(), *gen_); }
  Shape output_shape(const Shape& in) const override { return in; }
  std::string name() const override;

 private:
  double p_;
  Generator* gen_;
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int channels, double momentum = 0.1, double eps = 1e-5);
  Tensor forward(const Tensor& x) override;
  Shape output_shape(const Shape& in) const override;
  std::string name() const override { return "bn"; }

  Tensor gamma, beta, running_mean, running_var;  // (C)

 private:
  int channels_;
  BatchNormParams params_;
};

}  // namespace cudanet
