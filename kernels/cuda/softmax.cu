#include <type_traits>

#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/row_reduce.cuh"
#include "kernels/cuda/softmax.cuh"

namespace cudanet::cuda {

// ---------------------------------------------------------------- CUDA kernels

// x, y (rows, cols). One pass for the row's max and sum of exp (online
// softmax), one to write. x - max is exact for nearby values, so huge logits
// keep full precision.
template <class T, bool kLog, bool kBlockRow>
__global__ void softmax_forward_kernel(T* y, const T* x, int64_t rows, int64_t cols) {
  using G = RowGroup<kBlockRow>;
  for (int64_t r = G::first_row(); r < rows; r += G::row_stride()) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    MaxSum<T> ms = max_sum_empty<T>();
    for (int64_t c = G::lane(); c < cols; c += G::width()) ms = max_sum_push(ms, xr[c]);
    ms = G::all_reduce(ms, MaxSumOp{});
    if constexpr (kLog) {
      const T log_sum = std::log(ms.sum);
      for (int64_t c = G::lane(); c < cols; c += G::width()) yr[c] = xr[c] - ms.max - log_sum;
    } else {
      const T inv_sum = T(1) / ms.sum;
      for (int64_t c = G::lane(); c < cols; c += G::width()) yr[c] = std::exp(xr[c] - ms.max) * inv_sum;
    }
  }
}

// y, dy, dx (rows, cols); y is the forward output.
template <class T, bool kLog, bool kBlockRow>
__global__ void softmax_backward_kernel(T* dx, const T* y, const T* dy, int64_t rows, int64_t cols) {
  using G = RowGroup<kBlockRow>;
  for (int64_t r = G::first_row(); r < rows; r += G::row_stride()) {
    const T* yr = y + r * cols;
    const T* dyr = dy + r * cols;
    T* dxr = dx + r * cols;
    T acc = 0;
    for (int64_t c = G::lane(); c < cols; c += G::width()) acc += kLog ? dyr[c] : dyr[c] * yr[c];
    acc = G::all_reduce(acc, SumOp{});
    for (int64_t c = G::lane(); c < cols; c += G::width())
      dxr[c] = kLog ? dyr[c] - std::exp(yr[c]) * acc : yr[c] * (dyr[c] - acc);
  }
}

// ------------------------------------------------------------ kernel launchers

namespace {
// Calls f with the kernel's compile-time choices: (T, log, block per row).
template <class F>
void with_layout(const Tensor& t, const SoftmaxParams& p, const char* op, F&& f) {
  dispatch_floating(t.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const bool block = block_per_row(p.cols);
    if (p.log) {
      block ? f(T{}, std::true_type{}, std::true_type{}) : f(T{}, std::true_type{}, std::false_type{});
    } else {
      block ? f(T{}, std::false_type{}, std::true_type{}) : f(T{}, std::false_type{}, std::false_type{});
    }
  });
}
}  // namespace

void softmax_forward(const Tensor& y, const Tensor& x, const SoftmaxParams& p) {
  Context& c = ctx_of(x);
  if (p.rows * p.cols == 0) return;
  with_layout(x, p, "softmax", [&](auto tag, auto log, auto block) {
    using T = decltype(tag);
    softmax_forward_kernel<T, decltype(log)::value, decltype(block)::value>
        <<<row_grid(p.rows, p.cols, c), kRowBlock, 0, c.stream>>>(y.data<T>(), x.data<T>(), p.rows, p.cols);
  });
  CUDANET_LAUNCH_CHECK("softmax_forward_kernel");
}

void softmax_backward(const Tensor& dx, const Tensor& y, const Tensor& dy, const SoftmaxParams& p) {
  Context& c = ctx_of(y);
  if (p.rows * p.cols == 0) return;
  with_layout(y, p, "softmax_backward", [&](auto tag, auto log, auto block) {
    using T = decltype(tag);
    softmax_backward_kernel<T, decltype(log)::value, decltype(block)::value>
        <<<row_grid(p.rows, p.cols, c), kRowBlock, 0, c.stream>>>(dx.data<T>(), y.data<T>(), dy.data<T>(), p.rows,
                                                                   p.cols);
  });
  CUDANET_LAUNCH_CHECK("softmax_backward_kernel");
}

}  // namespace cudanet::cuda
