#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/mse_loss.cuh"

namespace cudanet::cuda {

// ---------------------------------------------------------------- CUDA kernels

// pred, target, sq (n)
template <class T>
__global__ void mse_loss_forward_kernel(T* sq, const T* pred, const T* target, int64_t n) {
  CUDANET_GRID_STRIDE(i, n) {
    const T d = pred[i] - target[i];
    sq[i] = d * d;
  }
}

// pred, target, dpred, dtarget (n); dloss a scalar on the device; a null
// output is skipped.
template <class T>
__global__ void mse_loss_backward_kernel(T* dpred, T* dtarget, const T* pred, const T* target, const T* dloss,
                                         int64_t n) {
  const T scale = T(2) * dloss[0] / static_cast<T>(n);
  CUDANET_GRID_STRIDE(i, n) {
    const T g = (pred[i] - target[i]) * scale;
    if (dpred) dpred[i] = g;
    if (dtarget) dtarget[i] = -g;
  }
}

// ------------------------------------------------------------ kernel launchers

void mse_loss_forward(const Tensor& sq, const Tensor& pred, const Tensor& target, const MseLossParams& p) {
  Context& c = ctx_of(pred);
  if (p.n == 0) return;
  dispatch_floating(pred.dtype(), "mse_loss", [&](auto tag) {
    using T = decltype(tag);
    mse_loss_forward_kernel<T><<<elementwise_grid(p.n, c), kBlock, 0, c.stream>>>(sq.data<T>(), pred.data<T>(),
                                                                                   target.data<T>(), p.n);
  });
  CUDANET_LAUNCH_CHECK("mse_loss_forward_kernel");
}

void mse_loss_backward(const Tensor& dpred, const Tensor& dtarget, const Tensor& pred, const Tensor& target,
                       const Tensor& dloss, const MseLossParams& p) {
  Context& c = ctx_of(pred);
  if (p.n == 0) return;
  dispatch_floating(pred.dtype(), "mse_loss_backward", [&](auto tag) {
    using T = decltype(tag);
    mse_loss_backward_kernel<T><<<elementwise_grid(p.n, c), kBlock, 0, c.stream>>>(
        dpred.defined() ? dpred.data<T>() : nullptr, dtarget.defined() ? dtarget.data<T>() : nullptr,
        pred.data<T>(), target.data<T>(), dloss.data<T>(), p.n);
  });
  CUDANET_LAUNCH_CHECK("mse_loss_backward_kernel");
}

}  // namespace cudanet::cuda
