#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/random.cuh"

namespace cudanet::cuda {

template <class T>
__global__ void random_fill_kernel(T* y, int64_t n, RandomParams p) {
  CUDANET_GRID_STRIDE(i, n) y[i] = static_cast<T>(random_value(p, i));
}

void random_fill(const Tensor& y, const RandomParams& p) {
  Context& c = ctx_of(y);
  const int64_t n = y.numel();
  if (n == 0) return;
  dispatch_floating(y.dtype(), "random_fill", [&](auto tag) {
    using T = decltype(tag);
    random_fill_kernel<T><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(y.data<T>(), n, p);
  });
  CUDANET_LAUNCH_CHECK("random_fill_kernel");
}

}  // namespace cudanet::cuda
