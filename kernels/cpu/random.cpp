#include "kernels/cpu/random.h"

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

void random_fill(const Tensor& y, const RandomParams& p) {
  dispatch_floating(y.dtype(), "random_fill", [&](auto tag) {
    using T = decltype(tag);
    T* ys = y.data<T>();
    const int64_t n = y.numel();
#pragma omp parallel for if (n > kParallelGrain)
    for (int64_t i = 0; i < n; ++i) ys[i] = static_cast<T>(random_value(p, i));
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
