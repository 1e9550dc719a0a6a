#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce.cuh"

namespace cudanet::cuda {

namespace {
constexpr int kReduceBlock = 256;
}  // namespace

// ---------------------------------------------------------------- CUDA kernels

// Sums accumulate in double, as the CPU reference does: a float sum of a
// million terms drifts by ~1e-5 relative, the size of the tests' tolerance,
// and these kernels are bound by memory, not by the FP64 rate.

// inner == 1: one block per row, contiguous loads. x (outer, len) -> y (outer)
template <class T>
__global__ void reduce_sum_rows_kernel(T* y, const T* x, int64_t len, T scale) {
  const T* row = x + blockIdx.x * len;
  double acc = 0;
  for (int64_t a = threadIdx.x; a < len; a += blockDim.x) acc += static_cast<double>(row[a]);
  acc = block_sum(acc);
  if (threadIdx.x == 0) y[blockIdx.x] = static_cast<T>(acc * static_cast<double>(scale));
}

// inner > 1: one thread per output, coalesced along inner. x (outer, len, inner)
template <class T>
__global__ void reduce_sum_cols_kernel(T* y, const T* x, ReduceParams p, T scale) {
  CUDANET_GRID_STRIDE(k, p.outer * p.inner) {
    const int64_t o = k / p.inner, i = k % p.inner;
    const T* base = x + o * p.len * p.inner + i;
    double acc = 0;
    for (int64_t a = 0; a < p.len; ++a) acc += static_cast<double>(base[a * p.inner]);
    y[k] = static_cast<T>(acc * static_cast<double>(scale));
  }
}

template <class T>
__global__ void reduce_sum_backward_kernel(T* dx, const T* dy, ReduceParams p, T scale) {
  CUDANET_GRID_STRIDE(k, p.outer * p.len * p.inner) {
    const int64_t i = k % p.inner, o = k / (p.len * p.inner);
    dx[k] = dy[o * p.inner + i] * scale;
  }
}

template <class T>
__global__ void reduce_max_kernel(T* y, int32_t* idx, const T* x, ReduceParams p) {
  CUDANET_GRID_STRIDE(k, p.outer * p.inner) {
    const int64_t o = k / p.inner, i = k % p.inner;
    const T* base = x + o * p.len * p.inner + i;
    T best = base[0];
    int32_t arg = 0;
    for (int64_t a = 1; a < p.len; ++a) {
      const T v = base[a * p.inner];
      if (max_takes(v, best)) best = v, arg = static_cast<int32_t>(a);
    }
    y[k] = best;
    idx[k] = arg;
  }
}

template <class T>
__global__ void reduce_max_backward_kernel(T* dx, const T* dy, const int32_t* idx, ReduceParams p) {
  CUDANET_GRID_STRIDE(k, p.outer * p.len * p.inner) {
    const int64_t i = k % p.inner, a = (k / p.inner) % p.len, o = k / (p.len * p.inner);
    const int64_t j = o * p.inner + i;
    dx[k] = idx[j] == a ? dy[j] : T(0);
  }
}

// ------------------------------------------------------------ kernel launchers

void reduce_sum(const Tensor& y, const Tensor& x, const ReduceParams& p) {
  Context& c = ctx_of(x);
  if (p.outer * p.inner == 0) return;
  dispatch_floating(x.dtype(), "sum", [&](auto tag) {
    using T = decltype(tag);
    if (p.inner == 1) {
      reduce_sum_rows_kernel<T><<<static_cast<unsigned>(p.outer), kReduceBlock, 0, c.stream>>>(
          y.data<T>(), x.data<T>(), p.len, static_cast<T>(p.scale));
    } else {
      reduce_sum_cols_kernel<T><<<elementwise_grid(p.outer * p.inner, c), kBlock, 0, c.stream>>>(
          y.data<T>(), x.data<T>(), p, static_cast<T>(p.scale));
    }
  });
  CUDANET_LAUNCH_CHECK("reduce_sum_kernel");
}

void reduce_sum_backward(const Tensor& dx, const Tensor& dy, const ReduceParams& p) {
  Context& c = ctx_of(dy);
  const int64_t n = p.outer * p.len * p.inner;
  if (n == 0) return;
  dispatch_floating(dy.dtype(), "sum_backward", [&](auto tag) {
    using T = decltype(tag);
    reduce_sum_backward_kernel<T><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(dx.data<T>(), dy.data<T>(), p,
                                                                                    static_cast<T>(p.scale));
  });
  CUDANET_LAUNCH_CHECK("reduce_sum_backward_kernel");
}

void reduce_max(const Tensor& y, const Tensor& idx, const Tensor& x, const ReduceParams& p) {
  Context& c = ctx_of(x);
  if (p.outer * p.inner == 0) return;
  dispatch_floating(x.dtype(), "max", [&](auto tag) {
    using T = decltype(tag);
    reduce_max_kernel<T><<<elementwise_grid(p.outer * p.inner, c), kBlock, 0, c.stream>>>(
        y.data<T>(), idx.data<int32_t>(), x.data<T>(), p);
  });
  CUDANET_LAUNCH_CHECK("reduce_max_kernel");
}

void reduce_max_backward(const Tensor& dx, const Tensor& dy, const Tensor& idx, const ReduceParams& p) {
  Context& c = ctx_of(dy);
  const int64_t n = p.outer * p.len * p.inner;
  if (n == 0) return;
  dispatch_floating(dy.dtype(), "max_backward", [&](auto tag) {
    using T = decltype(tag);
    reduce_max_backward_kernel<T><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(dx.data<T>(), dy.data<T>(),
                                                                                    idx.data<int32_t>(), p);
  });
  CUDANET_LAUNCH_CHECK("reduce_max_backward_kernel");
}

}  // namespace cudanet::cuda
