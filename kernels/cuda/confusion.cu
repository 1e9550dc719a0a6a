#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/confusion.cuh"
#include "kernels/cuda/launch.cuh"

namespace cudanet::cuda {

// ---------------------------------------------------------------- CUDA kernels

// One thread per row: argmax over K (small: classes), then one atomic add.
template <class T>
__global__ void confusion_update_kernel(int32_t* cm, const T* logits, const int32_t* labels, int64_t n, int64_t k) {
  CUDANET_GRID_STRIDE(i, n) {
    const T* row = logits + i * k;
    int64_t best = 0;
    for (int64_t j = 1; j < k; ++j)
      if (row[j] > row[best]) best = j;
    const int32_t y = labels[i];
    if (y >= 0 && y < k) atomicAdd(cm + y * k + best, 1);
  }
}

// ------------------------------------------------------------ kernel launchers

void confusion_update(const Tensor& cm, const Tensor& logits, const Tensor& labels) {
  Context& c = ctx_of(logits);
  const int64_t n = logits.size(0), k = logits.size(1);
  if (n == 0) return;
  dispatch_floating(logits.dtype(), "confusion_update", [&](auto tag) {
    using T = decltype(tag);
    confusion_update_kernel<T><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(
        cm.data<int32_t>(), logits.data<T>(), labels.data<int32_t>(), n, k);
  });
  CUDANET_LAUNCH_CHECK("confusion_update_kernel");
}

}  // namespace cudanet::cuda
