// Entry points of the element-wise ops: checks, allocation, dispatch, autograd.
#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cuda/elementwise.cuh"

namespace cudanet {

namespace {

Tensor unary(const Tensor& x, UnaryOp op, double alpha, const char* name) {
  check_floating(x, name);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  const UnaryParams p{op, alpha};
  CUDANET_DISPATCH(x.device(), unary_forward, y, x, p);
  if (any_requires_grad({&x})) {
    // Saving y aliases the output: capture it detached (no reference cycle).
    record(y, name, {x}, [x = x.detach(), y = y.detach(), p](const Tensor& g) {
      Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
      CUDANET_DISPATCH(x.device(), unary_backward, dx, x, y, g, p);
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

void check_binary(const Tensor& a, const Tensor& b, const char* name) {
  check_floating(a, name);
  check_same_device(a, b, name);
  check_same_dtype(a, b, name);
  check_same_shape(a, b, name);
}

Tensor binary(const Tensor& a, const Tensor& b, BinaryOp op, double alpha, const char* name) {
  check_binary(a, b, name);
  Tensor y = Tensor::empty(a.shape(), a.dtype(), a.device());
  CUDANET_DISPATCH(a.device(), binary_forward, y, a, b, BinaryParams{op, alpha});
  return y;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary(a, b, BinaryOp::Axpy, 1.0, "add");
  if (any_requires_grad({&a, &b}))
    record(y, "add", {a, b}, [](const Tensor& g) { return std::vector<Tensor>{g, g}; });
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary(a, b, BinaryOp::Axpy, -1.0, "sub");
  if (any_requires_grad({&a, &b}))
    record(y, "sub", {a, b}, [](const Tensor& g) { return std::vector<Tensor>{g, neg(g)}; });
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary(a, b, BinaryOp::Mul, 1.0, "mul");
  if (any_requires_grad({&a, &b}))
    record(y, "mul", {a, b}, [a = a.detach(), b = b.detach()](const Tensor& g) {
      return std::vector<Tensor>{mul(g, b), mul(g, a)};
    });
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = binary(a, b, BinaryOp::Div, 1.0, "div");
  if (any_requires_grad({&a, &b}))
    // d/da = g / b; d/db = -g * a / b^2 = -(g * y) / b
    record(y, "div", {a, b}, [b = b.detach(), y = y.detach()](const Tensor& g) {
      return std::vector<Tensor>{div(g, b), neg(div(mul(g, y), b))};
    });
  return y;
}

Tensor scale(const Tensor& x, double s) { return unary(x, UnaryOp::Scale, s, "scale"); }
Tensor add_scalar(const Tensor& x, double s) { return unary(x, UnaryOp::AddScalar, s, "add_scalar"); }
Tensor neg(const Tensor& x) { return unary(x, UnaryOp::Neg, 0, "neg"); }
Tensor relu(const Tensor& x) { return unary(x, UnaryOp::Relu, 0, "relu"); }
Tensor leaky_relu(const Tensor& x, double slope) { return unary(x, UnaryOp::LeakyRelu, slope, "leaky_relu"); }
Tensor sigmoid(const Tensor& x) { return unary(x, UnaryOp::Sigmoid, 0, "sigmoid"); }
Tensor tanh(const Tensor& x) { return unary(x, UnaryOp::Tanh, 0, "tanh"); }
Tensor exp(const Tensor& x) { return unary(x, UnaryOp::Exp, 0, "exp"); }
Tensor log(const Tensor& x) { return unary(x, UnaryOp::Log, 0, "log"); }
Tensor sqrt(const Tensor& x) { return unary(x, UnaryOp::Sqrt, 0, "sqrt"); }
Tensor square(const Tensor& x) { return unary(x, UnaryOp::Square, 0, "square"); }

void add_(const Tensor& dst, const Tensor& src) { axpy_(dst, src, 1.0); }

void axpy_(const Tensor& dst, const Tensor& src, double alpha) {
  check_binary(dst, src, "axpy_");
  CUDANET_DISPATCH(dst.device(), binary_forward, dst, dst, src, BinaryParams{BinaryOp::Axpy, alpha});
}

void scale_(const Tensor& dst, double s) {
  check_floating(dst, "scale_");
  CUDANET_DISPATCH(dst.device(), unary_forward, dst, dst, UnaryParams{UnaryOp::Scale, s});
}

void fill_(const Tensor& dst, double value) { CUDANET_DISPATCH(dst.device(), fill, dst, value); }

Tensor cast(const Tensor& x, DType dtype) {
  Tensor y = Tensor::empty(x.shape(), dtype, x.device());
  CUDANET_DISPATCH(x.device(), cast, y, x);
  if (any_requires_grad({&x}) && is_floating(dtype)) {
    const DType from = x.dtype();
    record(y, "cast", {x}, [from](const Tensor& g) { return std::vector<Tensor>{cast(g, from)}; });
  }
  return y;
}

}  // namespace cudanet
