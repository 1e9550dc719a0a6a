#include "kernels/cpu/label_rank.h"

#include "kernels/common/label_rank.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

void label_rank_update(const Tensor& counts, const Tensor& logits, const Tensor& labels) {
  dispatch_floating(logits.dtype(), "label_rank_update", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = logits.size(0), k = logits.size(1);
    const T* z = logits.data<T>();
    const int32_t* y = labels.data<int32_t>();
    int32_t* c = counts.data<int32_t>();
    for (int64_t i = 0; i < n; ++i)
      if (y[i] >= 0 && y[i] < k) ++c[label_rank(z + i * k, k, y[i])];
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
