#include "kernels/cpu/elementwise.h"

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

// The loops name their pointers firstprivate: shared, GCC reads them through
// the outlined region's closure on every iteration (a store might change them)
// and gives up vectorising; ReLU's backward then ran scalar with a branch per
// element, 5 ns each (-fopt-info-vec: "no vectype for stmt ... __closure").

void unary_forward(const Tensor& y, const Tensor& x, const UnaryParams& p) {
  dispatch_floating(x.dtype(), "unary", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    T* ys = y.data<T>();
    const T a = static_cast<T>(p.alpha);
    const int64_t n = x.numel();
    dispatch_unary_op(p.op, [&](auto op) {
#pragma omp parallel for simd if (n > kParallelGrain) firstprivate(xs, ys, a)
      for (int64_t i = 0; i < n; ++i) ys[i] = unary_apply(decltype(op)::value, xs[i], a);
    });
  });
}

void unary_backward(const Tensor& dx, const Tensor& x, const Tensor& y, const Tensor& dy, const UnaryParams& p) {
  dispatch_floating(x.dtype(), "unary_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    const T* ys = y.data<T>();
    const T* dys = dy.data<T>();
    T* dxs = dx.data<T>();
    const T a = static_cast<T>(p.alpha);
    const int64_t n = x.numel();
    dispatch_unary_op(p.op, [&](auto op) {
#pragma omp parallel for simd if (n > kParallelGrain) firstprivate(xs, ys, dys, dxs, a)
      for (int64_t i = 0; i < n; ++i) dxs[i] = unary_grad(decltype(op)::value, xs[i], ys[i], dys[i], a);
    });
  });
}

void binary_forward(const Tensor& y, const Tensor& a, const Tensor& b, const BinaryParams& p) {
  dispatch_floating(a.dtype(), "binary", [&](auto tag) {
    using T = decltype(tag);
    const T* as = a.data<T>();
    const T* bs = b.data<T>();
    T* ys = y.data<T>();
    const T alpha = static_cast<T>(p.alpha);
    const int64_t n = a.numel();
    dispatch_binary_op(p.op, [&](auto op) {
#pragma omp parallel for simd if (n > kParallelGrain) firstprivate(as, bs, ys, alpha)
      for (int64_t i = 0; i < n; ++i) ys[i] = binary_apply(decltype(op)::value, as[i], bs[i], alpha);
    });
  });
}

void fill(const Tensor& y, double value) {
  dispatch_all(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* ys = y.data<T>();
    const T v = static_cast<T>(value);
    const int64_t n = y.numel();
    for (int64_t i = 0; i < n; ++i) ys[i] = v;
  });
}

void cast(const Tensor& y, const Tensor& x) {
  dispatch_all(x.dtype(), [&](auto in_tag) {
    using In = decltype(in_tag);
    dispatch_all(y.dtype(), [&](auto out_tag) {
      using Out = decltype(out_tag);
      const In* xs = x.data<In>();
      Out* ys = y.data<Out>();
      const int64_t n = x.numel();
      for (int64_t i = 0; i < n; ++i) ys[i] = static_cast<Out>(xs[i]);
    });
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
