#include "kernels/cpu/reduce.h"

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

// Sums accumulate in double: the CPU backend is the reference the CUDA
// reductions are measured against, so it is the more accurate of the two.
void reduce_sum(const Tensor& y, const Tensor& x, const ReduceParams& p) {
  dispatch_floating(x.dtype(), "sum", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    T* ys = y.data<T>();
    const int64_t outputs = p.outer * p.inner;
#pragma omp parallel for if (outputs * p.len > kParallelGrain)
    for (int64_t o = 0; o < p.outer; ++o) {
      for (int64_t i = 0; i < p.inner; ++i) {
        double acc = 0;
        const T* base = xs + o * p.len * p.inner + i;
        for (int64_t a = 0; a < p.len; ++a) acc += base[a * p.inner];
        ys[o * p.inner + i] = static_cast<T>(acc * p.scale);
      }
    }
  });
}

void reduce_sum_backward(const Tensor& dx, const Tensor& dy, const ReduceParams& p) {
  dispatch_floating(dy.dtype(), "sum_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* dys = dy.data<T>();
    T* dxs = dx.data<T>();
    const T s = static_cast<T>(p.scale);
    for (int64_t o = 0; o < p.outer; ++o)
      for (int64_t a = 0; a < p.len; ++a)
        for (int64_t i = 0; i < p.inner; ++i) dxs[(o * p.len + a) * p.inner + i] = dys[o * p.inner + i] * s;
  });
}

void reduce_max(const Tensor& y, const Tensor& idx, const Tensor& x, const ReduceParams& p) {
  dispatch_floating(x.dtype(), "max", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    T* ys = y.data<T>();
    int32_t* is = idx.data<int32_t>();
    for (int64_t o = 0; o < p.outer; ++o) {
      for (int64_t i = 0; i < p.inner; ++i) {
        const T* base = xs + o * p.len * p.inner + i;
        T best = base[0];
        int32_t arg = 0;
        for (int64_t a = 1; a < p.len; ++a) {
          if (max_takes(base[a * p.inner], best)) best = base[a * p.inner], arg = static_cast<int32_t>(a);
        }
        ys[o * p.inner + i] = best;
        is[o * p.inner + i] = arg;
      }
    }
  });
}

void reduce_max_backward(const Tensor& dx, const Tensor& dy, const Tensor& idx, const ReduceParams& p) {
  dispatch_floating(dy.dtype(), "max_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* dys = dy.data<T>();
    const int32_t* is = idx.data<int32_t>();
    T* dxs = dx.data<T>();
    for (int64_t o = 0; o < p.outer; ++o)
      for (int64_t a = 0; a < p.len; ++a)
        for (int64_t i = 0; i < p.inner; ++i) {
          const int64_t k = o * p.inner + i;
          dxs[(o * p.len + a) * p.inner + i] = is[k] == a ? dys[k] : T(0);
        }
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
