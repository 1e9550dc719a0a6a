#include <cstdint>
#include <limits>

#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/cross_entropy.cuh"
#include "kernels/cuda/label_flag.cuh"
#include "kernels/cuda/range_check.cuh"
#include "kernels/cuda/row_reduce.cuh"

namespace cudanet::cuda {

// ---------------------------------------------------------------- CUDA kernels

// logits (rows, cols), labels (rows) -> loss (rows), stats (rows, 2). The
// softmax pass of softmax_forward_kernel, plus the row's sum of x - max when
// smoothing (eps > 0); lane 0 writes the row's results.
template <class T, bool kBlockRow>
__global__ void cross_entropy_forward_kernel(T* loss, T* stats, const T* x, const int32_t* labels, int64_t rows,
                                             int64_t cols, T eps, LabelFlag* flag) {
  using G = RowGroup<kBlockRow>;
  for (int64_t r = G::first_row(); r < rows; r += G::row_stride()) {
    const T* xr = x + r * cols;
    MaxSum<T> ms = max_sum_empty<T>();
    for (int64_t c = G::lane(); c < cols; c += G::width()) ms = max_sum_push(ms, xr[c]);
    ms = G::all_reduce(ms, MaxSumOp{});
    T centred = 0;
    if (eps > 0) {  // the same for every thread: all reach the reduction's barriers
      for (int64_t c = G::lane(); c < cols; c += G::width()) centred += xr[c] - ms.max;
      centred = G::all_reduce(centred, SumOp{});
    }
    if (G::lane() != 0) continue;
    stats[2 * r] = ms.max;
    stats[2 * r + 1] = ms.sum;
    const int32_t label = labels[r];
    if (label >= 0 && label < cols) {
      if (eps == 0)
        loss[r] = std::log(ms.sum) - (xr[label] - ms.max);
      else  // lse - (1 - eps) x[label] - eps mean(x), centred on max as the CPU does
        loss[r] = std::log(ms.sum) - ((T(1) - eps) * (xr[label] - ms.max) + eps * centred / static_cast<T>(cols));
    } else {
      loss[r] = std::numeric_limits<T>::quiet_NaN();
      raise_label_flag(flag, LabelOp::CrossEntropy, label, r, cols);
    }
  }
}

// logits, dlogits (rows, cols); dloss a scalar on the device. The target is hi
// at the label and lo elsewhere (1 and 0 without smoothing).
template <class T>
__global__ void cross_entropy_backward_kernel(T* dx, const T* x, const int32_t* labels, const T* stats,
                                              const T* dloss, int64_t rows, int64_t cols, T hi, T lo) {
  const T scale = dloss[0] / static_cast<T>(rows);
  CUDANET_GRID_STRIDE(k, rows * cols) {
    const int64_t r = k / cols, c = k % cols;
    const int32_t label = labels[r];
    const T prob = std::exp(x[k] - stats[2 * r]) / stats[2 * r + 1];
    dx[k] = label >= 0 && label < cols ? (prob - (c == label ? hi : lo)) * scale
                                       : std::numeric_limits<T>::quiet_NaN();
  }
}

// ------------------------------------------------------------ kernel launchers

void cross_entropy_forward(const Tensor& loss, const Tensor& stats, const Tensor& logits, const Tensor& labels,
                           const CrossEntropyParams& p) {
  Context& c = ctx_of(logits);
  if (p.rows == 0) return;
  const unsigned grid = row_grid(p.rows, p.cols, c);
  LabelFlag* flag = label_flag(c);
  dispatch_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    auto launch = [&](auto kernel) {
      kernel<<<grid, kRowBlock, 0, c.stream>>>(loss.data<T>(), stats.data<T>(), logits.data<T>(),
                                               labels.data<int32_t>(), p.rows, p.cols,
                                               static_cast<T>(p.label_smoothing), flag);
    };
    if (block_per_row(p.cols)) launch(cross_entropy_forward_kernel<T, true>);
    else launch(cross_entropy_forward_kernel<T, false>);
  });
  CUDANET_LAUNCH_CHECK("cross_entropy_forward_kernel");
}

void cross_entropy_backward(const Tensor& dlogits, const Tensor& logits, const Tensor& labels, const Tensor& stats,
                            const Tensor& dloss, const CrossEntropyParams& p) {
  Context& c = ctx_of(logits);
  const int64_t n = p.rows * p.cols;
  if (n == 0) return;
  // Rounded once, in double, as the CPU does: exactly 1 and 0 without smoothing.
  const double lo = p.label_smoothing / static_cast<double>(p.cols), hi = 1 - p.label_smoothing + lo;
  dispatch_floating(logits.dtype(), "cross_entropy_backward", [&](auto tag) {
    using T = decltype(tag);
    cross_entropy_backward_kernel<T><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(
        dlogits.data<T>(), logits.data<T>(), labels.data<int32_t>(), stats.data<T>(), dloss.data<T>(), p.rows,
        p.cols, static_cast<T>(hi), static_cast<T>(lo));
  });
  CUDANET_LAUNCH_CHECK("cross_entropy_backward_kernel");
}

void check_labels(const Tensor& labels, int64_t num_classes, const char* op) {
  const OutOfRange bad = first_out_of_range(labels, num_classes);
  if (bad.position < 0) return;
  CUDANET_FAIL(op, ": label ", bad.value, " in row ", bad.position, " is outside [0, ", num_classes, ") (labels ",
               labels.describe(), ")");
}

void check_label_flag(Device device) {
  const LabelFlag flag = take_label_flag(context(device.index));
  if (!flag.set) return;
  const bool one_hot = flag.op == LabelOp::OneHot;
  CUDANET_FAIL(one_hot ? "one_hot" : "cross_entropy", " on ", device.str(), ": label ", flag.label, " in row ",
               flag.row, " is outside [0, ", flag.classes, "); ",
               one_hot ? "its one-hot row is NaN, and so is a loss computed from it"
                       : "that batch's loss and gradients are NaN");
}

}  // namespace cudanet::cuda
