#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/launch.cuh"

namespace cudanet::cuda {

// ---------------------------------------------------------------- CUDA kernels

// The op is a template argument: each instantiation computes one function.
template <class T, UnaryOp OP>
__global__ void unary_forward_kernel(T* y, const T* x, int64_t n, T a) {
  CUDANET_GRID_STRIDE(i, n) y[i] = unary_apply(OP, x[i], a);
}

template <class T, UnaryOp OP>
__global__ void unary_backward_kernel(T* dx, const T* x, const T* y, const T* dy, int64_t n, T a) {
  CUDANET_GRID_STRIDE(i, n) dx[i] = unary_grad(OP, x[i], y[i], dy[i], a);
}

template <class T, BinaryOp OP>
__global__ void binary_forward_kernel(T* y, const T* a, const T* b, int64_t n, T alpha) {
  CUDANET_GRID_STRIDE(i, n) y[i] = binary_apply(OP, a[i], b[i], alpha);
}

template <class T>
__global__ void fill_kernel(T* y, int64_t n, T v) {
  CUDANET_GRID_STRIDE(i, n) y[i] = v;
}

template <class Out, class In>
__global__ void cast_kernel(Out* y, const In* x, int64_t n) {
  CUDANET_GRID_STRIDE(i, n) y[i] = static_cast<Out>(x[i]);
}

// ------------------------------------------------------------ kernel launchers

void unary_forward(const Tensor& y, const Tensor& x, const UnaryParams& p) {
  Context& c = ctx_of(x);
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_floating(x.dtype(), "unary", [&](auto tag) {
    using T = decltype(tag);
    dispatch_unary_op(p.op, [&](auto op) {
      unary_forward_kernel<T, decltype(op)::value><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(
          y.data<T>(), x.data<T>(), n, static_cast<T>(p.alpha));
    });
  });
  CUDANET_LAUNCH_CHECK("unary_forward_kernel");
}

void unary_backward(const Tensor& dx, const Tensor& x, const Tensor& y, const Tensor& dy, const UnaryParams& p) {
  Context& c = ctx_of(x);
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_floating(x.dtype(), "unary_backward", [&](auto tag) {
    using T = decltype(tag);
    dispatch_unary_op(p.op, [&](auto op) {
      unary_backward_kernel<T, decltype(op)::value><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(
          dx.data<T>(), x.data<T>(), y.data<T>(), dy.data<T>(), n, static_cast<T>(p.alpha));
    });
  });
  CUDANET_LAUNCH_CHECK("unary_backward_kernel");
}

void binary_forward(const Tensor& y, const Tensor& a, const Tensor& b, const BinaryParams& p) {
  Context& c = ctx_of(a);
  const int64_t n = a.numel();
  if (n == 0) return;
  dispatch_floating(a.dtype(), "binary", [&](auto tag) {
    using T = decltype(tag);
    dispatch_binary_op(p.op, [&](auto op) {
      binary_forward_kernel<T, decltype(op)::value><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(
          y.data<T>(), a.data<T>(), b.data<T>(), n, static_cast<T>(p.alpha));
    });
  });
  CUDANET_LAUNCH_CHECK("binary_forward_kernel");
}

void fill(const Tensor& y, double value) {
  Context& c = ctx_of(y);
  const int64_t n = y.numel();
  if (n == 0) return;
  dispatch_all(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    fill_kernel<T><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(y.data<T>(), n, static_cast<T>(value));
  });
  CUDANET_LAUNCH_CHECK("fill_kernel");
}

void cast(const Tensor& y, const Tensor& x) {
  Context& c = ctx_of(x);
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_all(x.dtype(), [&](auto in_tag) {
    using In = decltype(in_tag);
    dispatch_all(y.dtype(), [&](auto out_tag) {
      using Out = decltype(out_tag);
      cast_kernel<Out, In><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(y.data<Out>(), x.data<In>(), n);
    });
  });
  CUDANET_LAUNCH_CHECK("cast_kernel");
}

}  // namespace cudanet::cuda
