#include "kernels/cpu/softmax.h"

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

// Accumulates in double whatever T is: the CPU backend is the reference the
// CUDA kernels are measured against.
void softmax_forward(const Tensor& y, const Tensor& x, const SoftmaxParams& p) {
  dispatch_floating(x.dtype(), "softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    T* ys = y.data<T>();
#pragma omp parallel for if (p.rows * p.cols > kParallelGrain)
    for (int64_t r = 0; r < p.rows; ++r) {
      const T* xr = xs + r * p.cols;
      T* yr = ys + r * p.cols;
      MaxSum<double> ms = max_sum_empty<double>();
      for (int64_t c = 0; c < p.cols; ++c) ms = max_sum_push<double>(ms, xr[c]);
      // x - max is exact for nearby values, so large logits keep full precision.
      if (p.log) {
        const double log_sum = std::log(ms.sum);
        for (int64_t c = 0; c < p.cols; ++c) yr[c] = static_cast<T>(xr[c] - ms.max - log_sum);
      } else {
        const double inv_sum = 1.0 / ms.sum;
        for (int64_t c = 0; c < p.cols; ++c) yr[c] = static_cast<T>(std::exp(xr[c] - ms.max) * inv_sum);
      }
    }
  });
}

void softmax_backward(const Tensor& dx, const Tensor& y, const Tensor& dy, const SoftmaxParams& p) {
  dispatch_floating(y.dtype(), "softmax_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* ys = y.data<T>();
    const T* dys = dy.data<T>();
    T* dxs = dx.data<T>();
#pragma omp parallel for if (p.rows * p.cols > kParallelGrain)
    for (int64_t r = 0; r < p.rows; ++r) {
      const T* yr = ys + r * p.cols;
      const T* dyr = dys + r * p.cols;
      T* dxr = dxs + r * p.cols;
      double acc = 0;
      if (p.log) {
        for (int64_t c = 0; c < p.cols; ++c) acc += dyr[c];
        for (int64_t c = 0; c < p.cols; ++c) dxr[c] = static_cast<T>(dyr[c] - std::exp(double(yr[c])) * acc);
      } else {
        for (int64_t c = 0; c < p.cols; ++c) acc += double(dyr[c]) * yr[c];
        for (int64_t c = 0; c < p.cols; ++c) dxr[c] = static_cast<T>(yr[c] * (dyr[c] - acc));
      }
    }
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
