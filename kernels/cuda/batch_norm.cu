#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/batch_norm.cuh"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"

namespace cudanet::cuda {

namespace {
constexpr int kBnBlock = 512;  // one block per channel for the reductions

// Offset of the j-th of the count() values of channel c in x (n, channels, inner).
__device__ __forceinline__ int64_t channel_offset(int64_t j, int64_t c, const BatchNormDims& d) {
  return ((j / d.inner) * d.channels + c) * d.inner + j % d.inner;
}
}  // namespace

// ---------------------------------------------------------------- CUDA kernels

// One block per channel: mean, then biased variance from squared deviations
// (two passes; the second mostly hits L2), then the running-buffer update with
// the unbiased variance. Sums are in double: a few flops per loaded value, so
// even 1/64-rate FP64 keeps up with memory. x (n, C, inner) -> (C) statistics
template <class T>
__global__ void batch_norm_forward_stats_kernel(T* save_mean, T* save_invstd, T* running_mean, T* running_var,
                                                const T* x, BatchNormDims d) {
  const int64_t c = blockIdx.x, m = d.count();
  double sum = 0;
  for (int64_t j = threadIdx.x; j < m; j += blockDim.x) sum += x[channel_offset(j, c, d)];
  const double mean = block_sum(sum) / static_cast<double>(m);
  double sq = 0;
  for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
    const double dev = x[channel_offset(j, c, d)] - mean;
    sq += dev * dev;
  }
  sq = block_sum(sq);
  if (threadIdx.x == 0) {
    save_mean[c] = static_cast<T>(mean);
    save_invstd[c] = static_cast<T>(1.0 / ::sqrt(sq / static_cast<double>(m) + d.eps));
    running_mean[c] = static_cast<T>((1 - d.momentum) * running_mean[c] + d.momentum * mean);
    const double unbiased = sq / static_cast<double>(m - 1);
    running_var[c] = static_cast<T>((1 - d.momentum) * running_var[c] + d.momentum * unbiased);
  }
}

// y = (x - mean) * invstd * gamma + beta. With `scale_is_var`, `scale` holds a
// variance (the running one, eval mode), else the inverse standard deviation.
template <class T>
__global__ void batch_norm_forward_kernel(T* y, const T* x, const T* mean, const T* scale, const T* gamma,
                                          const T* beta, BatchNormDims d, bool scale_is_var) {
  CUDANET_GRID_STRIDE(k, d.n * d.channels * d.inner) {
    const int64_t c = (k / d.inner) % d.channels;
    const T invstd = scale_is_var ? T(1) / ::sqrt(scale[c] + static_cast<T>(d.eps)) : scale[c];
    y[k] = (x[k] - mean[c]) * invstd * gamma[c] + beta[c];
  }
}

// One block per channel: dbeta = sum dy, dgamma = sum dy * x_hat, in double.
template <class T>
__global__ void batch_norm_backward_reduce_kernel(T* dgamma, T* dbeta, const T* dy, const T* x, const T* mean,
                                                  const T* invstd, BatchNormDims d) {
  const int64_t c = blockIdx.x, m = d.count();
  const T mu = mean[c];
  double sum_dy = 0, sum_dy_dev = 0;
  for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
    const int64_t o = channel_offset(j, c, d);
    sum_dy += dy[o];
    sum_dy_dev += static_cast<double>(dy[o]) * (x[o] - mu);
  }
  sum_dy = block_sum(sum_dy);
  sum_dy_dev = block_sum(sum_dy_dev);
  if (threadIdx.x == 0) {
    dbeta[c] = static_cast<T>(sum_dy);
    dgamma[c] = static_cast<T>(sum_dy_dev * invstd[c]);
  }
}

// dx from dy and the per-channel sums. Training: the batch statistics depend
// on x, so the mean of dy and its projection on x_hat are removed.
template <class T>
__global__ void batch_norm_backward_kernel(T* dx, const T* dy, const T* x, const T* gamma, const T* mean,
                                           const T* invstd, const T* dgamma, const T* dbeta, BatchNormDims d) {
  const T inv_m = T(1) / static_cast<T>(d.count());
  CUDANET_GRID_STRIDE(k, d.n * d.channels * d.inner) {
    const int64_t c = (k / d.inner) % d.channels;
    const T istd = invstd[c], scale = gamma[c] * istd;
    if (d.training) {
      const T xhat = (x[k] - mean[c]) * istd;
      dx[k] = scale * (dy[k] - dbeta[c] * inv_m - xhat * dgamma[c] * inv_m);
    } else {
      dx[k] = scale * dy[k];
    }
  }
}

// ------------------------------------------------------------ kernel launchers

void batch_norm_forward_training(const Tensor& y, const Tensor& save_mean, const Tensor& save_invstd,
                                 const Tensor& running_mean, const Tensor& running_var, const Tensor& x,
                                 const Tensor& gamma, const Tensor& beta, const BatchNormDims& d) {
  Context& ctx = ctx_of(x);
  const int64_t n = d.n * d.channels * d.inner;
  if (n == 0) return;
  dispatch_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    batch_norm_forward_stats_kernel<T><<<static_cast<unsigned>(d.channels), kBnBlock, 0, ctx.stream>>>(
        save_mean.data<T>(), save_invstd.data<T>(), running_mean.data<T>(), running_var.data<T>(), x.data<T>(), d);
    CUDANET_LAUNCH_CHECK("batch_norm_forward_stats_kernel");
    batch_norm_forward_kernel<T><<<elementwise_grid(n, ctx), kBlock, 0, ctx.stream>>>(
        y.data<T>(), x.data<T>(), save_mean.data<T>(), save_invstd.data<T>(), gamma.data<T>(), beta.data<T>(), d,
        false);
  });
  CUDANET_LAUNCH_CHECK("batch_norm_forward_kernel");
}

void batch_norm_forward_inference(const Tensor& y, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                  const Tensor& running_mean, const Tensor& running_var, const BatchNormDims& d) {
  Context& ctx = ctx_of(x);
  const int64_t n = d.n * d.channels * d.inner;
  if (n == 0) return;
  dispatch_floating(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    batch_norm_forward_kernel<T><<<elementwise_grid(n, ctx), kBlock, 0, ctx.stream>>>(
        y.data<T>(), x.data<T>(), running_mean.data<T>(), running_var.data<T>(), gamma.data<T>(), beta.data<T>(),
        d, true);
  });
  CUDANET_LAUNCH_CHECK("batch_norm_forward_kernel");
}

void batch_norm_backward(const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta, const Tensor& dy,
                         const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& invstd,
                         const BatchNormDims& d) {
  Context& ctx = ctx_of(dy);
  const int64_t n = d.n * d.channels * d.inner;
  if (n == 0) return;
  dispatch_floating(dy.dtype(), "batch_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    batch_norm_backward_reduce_kernel<T><<<static_cast<unsigned>(d.channels), kBnBlock, 0, ctx.stream>>>(
        dgamma.data<T>(), dbeta.data<T>(), dy.data<T>(), x.data<T>(), mean.data<T>(), invstd.data<T>(), d);
    CUDANET_LAUNCH_CHECK("batch_norm_backward_reduce_kernel");
    batch_norm_backward_kernel<T><<<elementwise_grid(n, ctx), kBlock, 0, ctx.stream>>>(
        dx.data<T>(), dy.data<T>(), x.data<T>(), gamma.data<T>(), mean.data<T>(), invstd.data<T>(),
        dgamma.data<T>(), dbeta.data<T>(), d);
  });
  CUDANET_LAUNCH_CHECK("batch_norm_backward_kernel");
}

}  // namespace cudanet::cuda
