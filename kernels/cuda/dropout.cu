#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/dropout.cuh"
#include "kernels/cuda/launch.cuh"

namespace cudanet::cuda {

// ---------------------------------------------------------------- CUDA kernels

// x, y (n). One thread per Philox counter: one 10-round block gives the keep
// decisions of four consecutive elements.
template <class T>
__global__ void dropout_forward_kernel(T* y, const T* x, DropoutParams p) {
  const T scale = static_cast<T>(p.scale);
  CUDANET_GRID_STRIDE(q, static_cast<int64_t>(dropout_counters(p.n))) {
    const unsigned keep = dropout_keep_bits(p, static_cast<uint64_t>(q));
    for (int j = 0; j < 4; ++j) {
      const int64_t i = 4 * q + j;
      if (i < p.n) y[i] = x[i] * ((keep >> j) & 1u ? scale : T(0));  // NaN stays NaN
    }
  }
}

// ------------------------------------------------------------ kernel launchers

void dropout_forward(const Tensor& y, const Tensor& x, const DropoutParams& p) {
  Context& c = ctx_of(x);
  if (p.n == 0) return;
  const int64_t counters = static_cast<int64_t>(dropout_counters(p.n));
  dispatch_floating(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    dropout_forward_kernel<T><<<elementwise_grid(counters, c), kBlock, 0, c.stream>>>(y.data<T>(), x.data<T>(), p);
  });
  CUDANET_LAUNCH_CHECK("dropout_forward_kernel");
}

}  // namespace cudanet::cuda
