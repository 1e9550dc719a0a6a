#pragma once
// The element-wise math shared by the CPU and CUDA backends, so both compute
// exactly the same function.
#include <cmath>
#include <type_traits>

#include "kernels/common/philox.h"  // CUDANET_HD

namespace cudanet {

enum class UnaryOp : unsigned char { Neg, Scale, AddScalar, Relu, LeakyRelu, Sigmoid, Tanh, Exp, Log, Sqrt, Square };
enum class BinaryOp : unsigned char { Axpy, Mul, Div };  // Axpy: a + alpha * b

struct UnaryParams {
  UnaryOp op;
  double alpha = 0;  // scale factor, scalar to add, or leaky slope
};
struct BinaryParams {
  BinaryOp op;
  double alpha = 1;
};

template <class T>
CUDANET_HD T unary_apply(UnaryOp op, T x, T a) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Scale: return x * a;
    case UnaryOp::AddScalar: return x + a;
    case UnaryOp::Relu: return x <= T(0) ? T(0) : x;  // NaN stays NaN, as in PyTorch
    case UnaryOp::LeakyRelu: return x > T(0) ? x : x * a;
    case UnaryOp::Sigmoid: return T(1) / (T(1) + std::exp(-x));
    case UnaryOp::Tanh: return std::tanh(x);
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return std::log(x);
    case UnaryOp::Sqrt: return std::sqrt(x);
    case UnaryOp::Square: return x * x;
  }
  return x;
}

// d(op)/dx times dy, from the input x and the output y.
template <class T>
CUDANET_HD T unary_grad(UnaryOp op, T x, T y, T dy, T a) {
  switch (op) {
    case UnaryOp::Neg: return -dy;
    case UnaryOp::Scale: return dy * a;
    case UnaryOp::AddScalar: return dy;
    case UnaryOp::Relu: return x <= T(0) ? T(0) : dy;  // NaN passes dy, as PyTorch's threshold_backward
    case UnaryOp::LeakyRelu: return x > T(0) ? dy : dy * a;
    case UnaryOp::Sigmoid: return dy * y * (T(1) - y);
    case UnaryOp::Tanh: return dy * (T(1) - y * y);
    case UnaryOp::Exp: return dy * y;
    case UnaryOp::Log: return dy / x;
    case UnaryOp::Sqrt: return dy * T(0.5) / y;
    case UnaryOp::Square: return dy * T(2) * x;
  }
  return dy;
}

template <class T>
CUDANET_HD T binary_apply(BinaryOp op, T a, T b, T alpha) {
  switch (op) {
    case BinaryOp::Axpy: return a + alpha * b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
  }
  return a;
}

// Calls f(std::integral_constant<UnaryOp, op>{}): loops instantiated per op see
// it as a constant, so the switch above folds away and the loop vectorises
// (a run-time switch per element kept ReLU's backward scalar and branchy).
template <class F>
void dispatch_unary_op(UnaryOp op, F&& f) {
  using U = UnaryOp;
  switch (op) {
    case U::Neg: return f(std::integral_constant<U, U::Neg>{});
    case U::Scale: return f(std::integral_constant<U, U::Scale>{});
    case U::AddScalar: return f(std::integral_constant<U, U::AddScalar>{});
    case U::Relu: return f(std::integral_constant<U, U::Relu>{});
    case U::LeakyRelu: return f(std::integral_constant<U, U::LeakyRelu>{});
    case U::Sigmoid: return f(std::integral_constant<U, U::Sigmoid>{});
    case U::Tanh: return f(std::integral_constant<U, U::Tanh>{});
    case U::Exp: return f(std::integral_constant<U, U::Exp>{});
    case U::Log: return f(std::integral_constant<U, U::Log>{});
    case U::Sqrt: return f(std::integral_constant<U, U::Sqrt>{});
    case U::Square: return f(std::integral_constant<U, U::Square>{});
  }
}

template <class F>
void dispatch_binary_op(BinaryOp op, F&& f) {
  using B = BinaryOp;
  switch (op) {
    case B::Axpy: return f(std::integral_constant<B, B::Axpy>{});
    case B::Mul: return f(std::integral_constant<B, B::Mul>{});
    case B::Div: return f(std::integral_constant<B, B::Div>{});
  }
}

}  // namespace cudanet
