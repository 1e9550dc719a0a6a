#include "kernels/cpu/one_hot.h"

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"
#include "kernels/cpu/cross_entropy.h"  // check_labels

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

void one_hot_forward(const Tensor& out, const Tensor& labels, const OneHotParams& p) {
  // Before the parallel loop: an exception must not leave an OpenMP region.
  check_labels(labels, p.classes, "one_hot");
  dispatch_floating(out.dtype(), "one_hot", [&](auto tag) {
    using T = decltype(tag);
    const int32_t* ls = labels.data<int32_t>();
    T* o = out.data<T>();
#pragma omp parallel for if (p.rows * p.classes > kParallelGrain)
    for (int64_t r = 0; r < p.rows; ++r)
      for (int64_t c = 0; c < p.classes; ++c) o[r * p.classes + c] = c == ls[r] ? T(1) : T(0);
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
