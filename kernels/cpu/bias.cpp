#include "kernels/cpu/bias.h"

#include <Eigen/Core>

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

void bias_add_forward(const Tensor& y, const Tensor& x, const Tensor& bias, const BiasParams& p) {
  dispatch_floating(x.dtype(), "bias_add", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    const T* bs = bias.data<T>();
    T* ys = y.data<T>();
#pragma omp parallel for collapse(2) if (p.n * p.channels * p.inner > kParallelGrain)
    for (int64_t n = 0; n < p.n; ++n)
      for (int64_t c = 0; c < p.channels; ++c) {
        const int64_t base = (n * p.channels + c) * p.inner;
        for (int64_t i = 0; i < p.inner; ++i) ys[base + i] = xs[base + i] + bs[c];
      }
  });
}

void bias_add_backward(const Tensor& dbias, const Tensor& dy, const BiasParams& p) {
  dispatch_floating(dy.dtype(), "bias_add_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* dys = dy.data<T>();
    T* db = dbias.data<T>();
#pragma omp parallel for if (p.n * p.channels * p.inner > kParallelGrain)
    for (int64_t c = 0; c < p.channels; ++c) {
      // Each (n, c) row is summed with Eigen's vectorised reduction, the rows
      // are accumulated in double: fast, and no less accurate than a reference needs.
      double acc = 0;
      for (int64_t n = 0; n < p.n; ++n) {
        const T* row = dys + (n * p.channels + c) * p.inner;
        acc += Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(row, p.inner).sum();
      }
      db[c] = static_cast<T>(acc);
    }
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
