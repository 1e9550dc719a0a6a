#include <cstdint>
#include <limits>

#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/label_flag.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/one_hot.cuh"

namespace cudanet::cuda {

// ---------------------------------------------------------------- CUDA kernels

// labels (rows) -> out (rows, classes), one thread per element.
template <class T>
__global__ void one_hot_forward_kernel(T* out, const int32_t* labels, int64_t rows, int64_t classes,
                                       LabelFlag* flag) {
  CUDANET_GRID_STRIDE(k, rows * classes) {
    const int64_t r = k / classes, c = k % classes;
    const int32_t label = labels[r];
    if (label >= 0 && label < classes) {
      out[k] = c == label ? T(1) : T(0);
    } else {
      out[k] = std::numeric_limits<T>::quiet_NaN();
      if (c == 0) raise_label_flag(flag, LabelOp::OneHot, label, r, classes);
    }
  }
}

// ------------------------------------------------------------ kernel launchers

void one_hot_forward(const Tensor& out, const Tensor& labels, const OneHotParams& p) {
  Context& c = ctx_of(labels);
  const int64_t n = p.rows * p.classes;
  if (n == 0) return;
  LabelFlag* flag = label_flag(c);
  dispatch_floating(out.dtype(), "one_hot", [&](auto tag) {
    using T = decltype(tag);
    one_hot_forward_kernel<T><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(
        out.data<T>(), labels.data<int32_t>(), p.rows, p.classes, flag);
  });
  CUDANET_LAUNCH_CHECK("one_hot_forward_kernel");
}

}  // namespace cudanet::cuda
