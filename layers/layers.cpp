#include "layers/layers.h"

#include <sstream>

namespace cudanet {

namespace {
Tensor new_param(const Shape& s) {
  Tensor t = Tensor::empty(s, DType::f32);
  t.set_requires_grad(true);
  return t;
}
std::string fmt(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
}  // namespace

// ------------------------------------------------------------------ Conv2d
Conv2d::Conv2d(int in_channels, int out_channels, int kernel, int stride, int padding, bool use_bias, Generator& gen)
    : in_(in_channels), out_(out_channels), kernel_(kernel) {
  CUDANET_CHECK(in_channels > 0 && out_channels > 0 && kernel > 0 && stride > 0 && padding >= 0,
                "Conv2d: invalid configuration in=", in_channels, " out=", out_channels, " kernel=", kernel,
                " stride=", stride, " padding=", padding);
  params_.stride_h = params_.stride_w = stride;
  params_.pad_h = params_.pad_w = padding;
  weight = new_param({out_channels, in_channels, kernel, kernel});
  glorot_uniform_(weight, int64_t(in_channels) * kernel * kernel, int64_t(out_channels) * kernel * kernel, gen);
  register_parameter("weight", &weight);
  if (use_bias) {
    bias = Tensor::zeros({out_channels}).set_requires_grad(true);
    register_parameter("bias", &bias);
  }
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight, bias, params_); }

Shape Conv2d::output_shape(const Shape& in) const {
  CUDANET_CHECK(in.ndim() == 3 && in[0] == in_, name(), ": expected input (", in_, ", H, W), got ", in.str());
  // In 64 bits: twice an int padding overflows int.
  const int64_t ph = in[1] + 2 * int64_t(params_.pad_h), pw = in[2] + 2 * int64_t(params_.pad_w);
  CUDANET_CHECK(ph >= kernel_ && pw >= kernel_, name(), ": kernel ", kernel_, "x", kernel_, " does not fit input ",
                in.str());
  return Shape{out_, (ph - kernel_) / params_.stride_h + 1, (pw - kernel_) / params_.stride_w + 1};
}

std::string Conv2d::name() const {
  std::string s = "conv" + std::to_string(out_) + "x" + std::to_string(kernel_);
  if (params_.stride_h != 1) s += "s" + std::to_string(params_.stride_h);
  if (params_.pad_h != 0) s += "p" + std::to_string(params_.pad_h);
  return s;
}

// ------------------------------------------------------------------ Pool2d
Pool2d::Pool2d(PoolMode mode, int kernel, int stride, int padding) {
  CUDANET_CHECK(kernel > 0 && (stride > 0 || stride == -1) && padding >= 0, "pooling: invalid kernel ", kernel,
                " stride ", stride, " padding ", padding);
  params_.mode = mode;
  params_.kernel_h = params_.kernel_w = kernel;
  params_.stride_h = params_.stride_w = stride == -1 ? kernel : stride;
  params_.pad_h = params_.pad_w = padding;
}

Tensor Pool2d::forward(const Tensor& x) { return pool2d(x, params_); }

Shape Pool2d::output_shape(const Shape& in) const {
  CUDANET_CHECK(in.ndim() == 3, name(), ": expected input (C, H, W), got ", in.str());
  const int64_t ph = in[1] + 2 * int64_t(params_.pad_h), pw = in[2] + 2 * int64_t(params_.pad_w);
  CUDANET_CHECK(ph >= params_.kernel_h && pw >= params_.kernel_w, name(), ": window ", params_.kernel_h, "x",
                params_.kernel_w, " does not fit input ", in.str());
  return Shape{in[0], (ph - params_.kernel_h) / params_.stride_h + 1, (pw - params_.kernel_w) / params_.stride_w + 1};
}

std::string Pool2d::name() const {
  std::string s = (params_.mode == PoolMode::Max ? "maxpool" : "avgpool") + std::to_string(params_.kernel_h);
  if (params_.stride_h != params_.kernel_h) s += "s" + std::to_string(params_.stride_h);
  if (params_.pad_h != 0) s += "p" + std::to_string(params_.pad_h);
  return s;
}

// ------------------------------------------------------------------- Dense
Dense::Dense(int in_features, int out_features, bool use_bias, Generator& gen) : in_(in_features), out_(out_features) {
  CUDANET_CHECK(in_features > 0 && out_features > 0, "Dense: invalid sizes in=", in_features, " out=", out_features);
  weight = new_param({out_features, in_features});
  glorot_uniform_(weight, in_features, out_features, gen);
  register_parameter("weight", &weight);
  if (use_bias) {
    bias = Tensor::zeros({out_features}).set_requires_grad(true);
    register_parameter("bias", &bias);
  }
}

Tensor Dense::forward(const Tensor& x) {
  CUDANET_CHECK(x.dim() == 2 && x.size(1) == in_, name(), ": expected input (N, ", in_, "), got ", x.describe());
  Tensor y = matmul(x, weight, false, true, algo_);
  return bias.defined() ? bias_add(y, bias) : y;
}

Shape Dense::output_shape(const Shape& in) const {
  CUDANET_CHECK(in.ndim() == 1 && in[0] == in_, name(), ": expected ", in_, " features, got input ", in.str(),
                in.ndim() != 1 ? " (add a flatten layer before it)" : "");
  return Shape{out_};
}

std::string Dense::name() const { return "dense" + std::to_string(out_); }

// -------------------------------------------------------------- Activation
Tensor Activation::forward(const Tensor& x) {
  switch (kind_) {
    case ActivationKind::Relu: return relu(x);
    case ActivationKind::LeakyRelu: return leaky_relu(x, slope_);
    case ActivationKind::Sigmoid: return sigmoid(x);
    case ActivationKind::Tanh: return tanh(x);
    case ActivationKind::Softmax: return softmax(x);
    case ActivationKind::LogSoftmax: return log_softmax(x);
  }
  return x;
}

std::string Activation::name() const {
  switch (kind_) {
    case ActivationKind::Relu: return "relu";
    case ActivationKind::LeakyRelu: return "leakyrelu" + fmt(slope_);
    case ActivationKind::Sigmoid: return "sigmoid";
    case ActivationKind::Tanh: return "tanh";
    case ActivationKind::Softmax: return "softmax";
    case ActivationKind::LogSoftmax: return "logsoftmax";
  }
  return "?";
}

// ----------------------------------------------------------------- Dropout
Dropout::Dropout(double p, Generator& gen) : p_(p), gen_(&gen) {
  CUDANET_CHECK(p >= 0 && p < 1, "Dropout: probability must be in [0, 1), got ", p);
}

std::string Dropout::name() const { return "dropout" + fmt(p_); }

// ------------------------------------------------------------- BatchNorm2d
BatchNorm2d::BatchNorm2d(int channels, double momentum, double eps) : channels_(channels) {
  CUDANET_CHECK(channels > 0, "BatchNorm2d: channels must be positive, got ", channels);
  params_.momentum = momentum;
  params_.eps = eps;
  gamma = Tensor::full({channels}, 1.0).set_requires_grad(true);
  beta = Tensor::zeros({channels}).set_requires_grad(true);
  running_mean = Tensor::zeros({channels});
  running_var = Tensor::full({channels}, 1.0);
  register_parameter("weight", &gamma);
  register_parameter("bias", &beta);
  register_buffer("running_mean", &running_mean);
  register_buffer("running_var", &running_var);
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  BatchNormParams p = params_;
  p.training = training();
  return batch_norm(x, gamma, beta, running_mean, running_var, p);
}

Shape BatchNorm2d::output_shape(const Shape& in) const {
  CUDANET_CHECK(in.ndim() >= 1 && in[0] == channels_, "bn: expected ", channels_, " channels, got input ", in.str());
  return in;
}

}  // namespace cudanet
