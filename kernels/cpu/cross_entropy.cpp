#include "kernels/cpu/cross_entropy.h"

#include "core/threads.h"
#include "kernels/common/softmax.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

// Checked before the parallel loops: an exception must not leave an OpenMP region.
void check_labels(const Tensor& labels, int64_t num_classes, const char* op) {
  const int32_t* ls = labels.data<int32_t>();
  for (int64_t r = 0; r < labels.numel(); ++r)
    CUDANET_CHECK(ls[r] >= 0 && ls[r] < num_classes, op, ": label ", ls[r], " in row ", r, " is outside [0, ",
                  num_classes, ") (labels ", labels.describe(), ")");
}

void check_label_flag(Device) {}

// Accumulates in double: the CPU backend is the reference for the CUDA kernels.
void cross_entropy_forward(const Tensor& loss, const Tensor& stats, const Tensor& logits, const Tensor& labels,
                           const CrossEntropyParams& p) {
  check_labels(labels, p.cols, "cross_entropy");
  dispatch_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = logits.data<T>();
    const int32_t* ls = labels.data<int32_t>();
    T* out = loss.data<T>();
    T* st = stats.data<T>();
    const double eps = p.label_smoothing;
#pragma omp parallel for if (p.rows * p.cols > kParallelGrain)
    for (int64_t r = 0; r < p.rows; ++r) {
      const T* xr = xs + r * p.cols;
      MaxSum<double> ms = max_sum_empty<double>();
      for (int64_t c = 0; c < p.cols; ++c) ms = max_sum_push<double>(ms, xr[c]);
      // log(sum) - (x[label] - max) rather than lse - x[label]: no rounding of
      // a large lse, so huge logits lose nothing.
      double l = std::log(ms.sum);
      if (eps == 0) {
        l -= xr[ls[r]] - ms.max;
      } else {
        // lse - (1 - ε) x[label] - ε mean(x), centred on max the same way.
        double centred = 0;
        for (int64_t c = 0; c < p.cols; ++c) centred += xr[c] - ms.max;
        l -= (1 - eps) * (xr[ls[r]] - ms.max) + eps * centred / static_cast<double>(p.cols);
      }
      out[r] = static_cast<T>(l);
      st[2 * r] = static_cast<T>(ms.max);
      st[2 * r + 1] = static_cast<T>(ms.sum);
    }
  });
}

void cross_entropy_backward(const Tensor& dlogits, const Tensor& logits, const Tensor& labels, const Tensor& stats,
                            const Tensor& dloss, const CrossEntropyParams& p) {
  dispatch_floating(logits.dtype(), "cross_entropy_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = logits.data<T>();
    const int32_t* ls = labels.data<int32_t>();
    const T* st = stats.data<T>();
    T* dx = dlogits.data<T>();
    const double scale = static_cast<double>(dloss.data<T>()[0]) / static_cast<double>(p.rows);
    // The smoothed target: hi at the label, lo elsewhere (1 and 0 when ε = 0).
    const double lo = p.label_smoothing / static_cast<double>(p.cols), hi = 1 - p.label_smoothing + lo;
#pragma omp parallel for if (p.rows * p.cols > kParallelGrain)
    for (int64_t r = 0; r < p.rows; ++r) {
      const double max = st[2 * r], inv_sum = 1.0 / static_cast<double>(st[2 * r + 1]);
      for (int64_t c = 0; c < p.cols; ++c) {
        const double prob = std::exp(xs[r * p.cols + c] - max) * inv_sum;
        dx[r * p.cols + c] = static_cast<T>((prob - (c == ls[r] ? hi : lo)) * scale);
      }
    }
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
