#include "kernels/cpu/confusion.h"

#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

void confusion_update(const Tensor& cm, const Tensor& logits, const Tensor& labels) {
  dispatch_floating(logits.dtype(), "confusion_update", [&](auto tag) {
    using T = decltype(tag);
    const int64_t n = logits.size(0), k = logits.size(1);
    const T* z = logits.data<T>();
    const int32_t* y = labels.data<int32_t>();
    int32_t* m = cm.data<int32_t>();
    for (int64_t i = 0; i < n; ++i) {
      const T* row = z + i * k;
      int64_t best = 0;
      for (int64_t j = 1; j < k; ++j)
        if (row[j] > row[best]) best = j;
      if (y[i] >= 0 && y[i] < k) ++m[y[i] * k + best];
    }
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
