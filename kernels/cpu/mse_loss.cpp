#include "kernels/cpu/mse_loss.h"

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

void mse_loss_forward(const Tensor& sq, const Tensor& pred, const Tensor& target, const MseLossParams& p) {
  dispatch_floating(pred.dtype(), "mse_loss", [&](auto tag) {
    using T = decltype(tag);
    const T* a = pred.data<T>();
    const T* b = target.data<T>();
    T* out = sq.data<T>();
#pragma omp parallel for if (p.n > kParallelGrain)
    for (int64_t i = 0; i < p.n; ++i) out[i] = (a[i] - b[i]) * (a[i] - b[i]);
  });
}

void mse_loss_backward(const Tensor& dpred, const Tensor& dtarget, const Tensor& pred, const Tensor& target,
                       const Tensor& dloss, const MseLossParams& p) {
  dispatch_floating(pred.dtype(), "mse_loss_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* a = pred.data<T>();
    const T* b = target.data<T>();
    T* da = dpred.defined() ? dpred.data<T>() : nullptr;
    T* db = dtarget.defined() ? dtarget.data<T>() : nullptr;
    const T scale = static_cast<T>(2 * static_cast<double>(dloss.data<T>()[0]) / static_cast<double>(p.n));
#pragma omp parallel for if (p.n > kParallelGrain)
    for (int64_t i = 0; i < p.n; ++i) {
      const T g = (a[i] - b[i]) * scale;
      if (da) da[i] = g;
      if (db) db[i] = -g;
    }
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
