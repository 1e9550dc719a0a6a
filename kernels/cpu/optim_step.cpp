#include "kernels/cpu/optim_step.h"

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

namespace {
template <class T>
T* slot(const OptimTensorDesc& d, int k) {
  return static_cast<T*>(d.state[k]);
}
}  // namespace

void optim_step(const std::vector<OptimTensorDesc>& descs, const Tensor& /*descs_on_device*/,
                const OptimStepParams& p) {
  dispatch_floating(p.dtype, "optim_step", [&](auto tag) {
    using T = decltype(tag);
    for (const OptimTensorDesc& d : descs) {
      T* x = static_cast<T*>(d.param);
      const T* g = static_cast<const T*>(d.grad);
      T *s0 = slot<T>(d, 0), *s1 = slot<T>(d, 1), *s2 = slot<T>(d, 2);
#pragma omp parallel for if (d.numel > kParallelGrain)
      for (int64_t i = 0; i < d.numel; ++i)
        optim_update(p, x[i], g[i], s0 ? s0 + i : nullptr, s1 ? s1 + i : nullptr, s2 ? s2 + i : nullptr);
    }
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
