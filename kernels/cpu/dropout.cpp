#include "kernels/cpu/dropout.h"

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

void dropout_forward(const Tensor& y, const Tensor& x, const DropoutParams& p) {
  dispatch_floating(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    T* ys = y.data<T>();
    const T scale = static_cast<T>(p.scale);
    const int64_t counters = static_cast<int64_t>(dropout_counters(p.n));
#pragma omp parallel for if (p.n > kParallelGrain)
    for (int64_t q = 0; q < counters; ++q) {
      const unsigned keep = dropout_keep_bits(p, static_cast<uint64_t>(q));
      for (int64_t j = 0; j < 4 && 4 * q + j < p.n; ++j) {
        const int64_t i = 4 * q + j;
        ys[i] = xs[i] * ((keep >> j) & 1u ? scale : T(0));  // a dropped NaN stays NaN, as in PyTorch
      }
    }
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
