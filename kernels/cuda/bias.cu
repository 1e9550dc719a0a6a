#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/bias.cuh"
#include "kernels/cuda/launch.cuh"

namespace cudanet::cuda {

namespace {
constexpr int kBiasBlock = 256;
}

// ---------------------------------------------------------------- CUDA kernels

template <class T>
__global__ void bias_add_forward_kernel(T* y, const T* x, const T* bias, BiasParams p) {
  CUDANET_GRID_STRIDE(k, p.n * p.channels * p.inner) {
    const int64_t c = (k / p.inner) % p.channels;
    y[k] = x[k] + bias[c];
  }
}

// One block per channel: each thread strides over the (n, inner) elements of
// that channel, then the block reduces. dy (n, channels, inner) -> db (channels)
template <class T>
__global__ void bias_add_backward_kernel(T* db, const T* dy, BiasParams p) {
  __shared__ T partial[kBiasBlock];
  const int64_t c = blockIdx.x;
  const int64_t per_channel = p.n * p.inner;
  T acc = 0;
  for (int64_t j = threadIdx.x; j < per_channel; j += blockDim.x) {
    const int64_t n = j / p.inner, i = j % p.inner;
    acc += dy[(n * p.channels + c) * p.inner + i];
  }
  partial[threadIdx.x] = acc;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) db[c] = partial[0];
}

// ------------------------------------------------------------ kernel launchers

void bias_add_forward(const Tensor& y, const Tensor& x, const Tensor& bias, const BiasParams& p) {
  Context& c = ctx_of(x);
  const int64_t n = p.n * p.channels * p.inner;
  if (n == 0) return;
  dispatch_floating(x.dtype(), "bias_add", [&](auto tag) {
    using T = decltype(tag);
    bias_add_forward_kernel<T><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(y.data<T>(), x.data<T>(),
                                                                                 bias.data<T>(), p);
  });
  CUDANET_LAUNCH_CHECK("bias_add_forward_kernel");
}

void bias_add_backward(const Tensor& dbias, const Tensor& dy, const BiasParams& p) {
  Context& c = ctx_of(dy);
  if (p.channels == 0) return;
  dispatch_floating(dy.dtype(), "bias_add_backward", [&](auto tag) {
    using T = decltype(tag);
    bias_add_backward_kernel<T><<<static_cast<unsigned>(p.channels), kBiasBlock, 0, c.stream>>>(
        dbias.data<T>(), dy.data<T>(), p);
  });
  CUDANET_LAUNCH_CHECK("bias_add_backward_kernel");
}

}  // namespace cudanet::cuda
