#include "kernels/common/label_rank.h"
#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/label_rank.cuh"
#include "kernels/cuda/launch.cuh"

namespace cudanet::cuda {

// ---------------------------------------------------------------- CUDA kernels

// One thread per row: its label's rank over K (classes: small), then one atomic add.
template <class T>
__global__ void label_rank_kernel(int32_t* counts, const T* logits, const int32_t* labels, int64_t n, int64_t k) {
  CUDANET_GRID_STRIDE(i, n) {
    const int32_t y = labels[i];
    if (y >= 0 && y < k) atomicAdd(counts + label_rank(logits + i * k, k, y), 1);
  }
}

// ------------------------------------------------------------ kernel launchers

void label_rank_update(const Tensor& counts, const Tensor& logits, const Tensor& labels) {
  Context& c = ctx_of(logits);
  const int64_t n = logits.size(0), k = logits.size(1);
  if (n == 0) return;
  dispatch_floating(logits.dtype(), "label_rank_update", [&](auto tag) {
    using T = decltype(tag);
    label_rank_kernel<T><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(counts.data<int32_t>(), logits.data<T>(),
                                                                          labels.data<int32_t>(), n, k);
  });
  CUDANET_LAUNCH_CHECK("label_rank_kernel");
}

}  // namespace cudanet::cuda
