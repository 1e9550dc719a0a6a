#include "kernels/cpu/clip_grad_norm.h"

#include <cmath>

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

void clip_grad_norm(const Tensor& norm, const std::vector<Tensor>& grads, const ClipGradNormParams& p) {
  dispatch_floating(norm.dtype(), "clip_grad_norm", [&](auto tag) {
    using T = decltype(tag);
    double sq = 0;  // in double, as the CUDA backend accumulates
    for (const Tensor& g : grads) {
      const T* gs = g.data<T>();
      const int64_t n = g.numel();
#pragma omp parallel for reduction(+ : sq) if (n > kParallelGrain)
      for (int64_t i = 0; i < n; ++i) sq += static_cast<double>(gs[i]) * gs[i];
    }
    const double total = std::sqrt(sq);
    norm.data<T>()[0] = static_cast<T>(total);
    const T c = static_cast<T>(clip_coefficient(total, p));
    for (const Tensor& g : grads) {
      T* gs = g.data<T>();
      const int64_t n = g.numel();
#pragma omp parallel for if (n > kParallelGrain)
      for (int64_t i = 0; i < n; ++i) gs[i] *= c;
    }
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
