#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/index_select.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/range_check.cuh"

namespace cudanet::cuda {

// ---------------------------------------------------------------- CUDA kernels

// W is an unsigned word of the element's size: the gather copies bits, so one
// instantiation per size serves every dtype. y (rows_out, inner), x (rows_in, inner)
template <class W>
__global__ void index_select_forward_kernel(W* y, const W* x, const int32_t* index, IndexSelectParams p) {
  CUDANET_GRID_STRIDE(k, p.rows_out * p.inner) {
    const int64_t row = k / p.inner, col = k - row * p.inner;
    const int32_t src = index[row];
    y[k] = (src >= 0 && src < p.rows_in) ? x[src * p.inner + col] : W(0);
  }
}

// dx (rows_in, inner) zeroed beforehand; dy (rows_out, inner)
template <class T>
__global__ void index_select_backward_kernel(T* dx, const T* dy, const int32_t* index, IndexSelectParams p) {
  CUDANET_GRID_STRIDE(k, p.rows_out * p.inner) {
    const int64_t row = k / p.inner, col = k - row * p.inner;
    const int32_t dst = index[row];
    if (dst >= 0 && dst < p.rows_in) atomicAdd(&dx[dst * p.inner + col], dy[k]);
  }
}

// ------------------------------------------------------------ kernel launchers

void index_select_check(const Tensor& index, const IndexSelectParams& p, const char* op) {
  const OutOfRange bad = first_out_of_range(index, p.rows_in);
  CUDANET_CHECK(bad.position < 0, op, ": index ", bad.value, " at position ", bad.position, " is out of range for ",
                p.rows_in, " rows");
}

void index_select_forward(const Tensor& y, const Tensor& x, const Tensor& index, const IndexSelectParams& p) {
  Context& c = ctx_of(x);
  const int64_t n = p.rows_out * p.inner;
  if (n == 0) return;
  const unsigned grid = elementwise_grid(n, c);
  const int32_t* idx = index.data<int32_t>();
  switch (dtype_size(x.dtype())) {
    case 1:
      index_select_forward_kernel<<<grid, kBlock, 0, c.stream>>>(static_cast<uint8_t*>(y.data_ptr()),
                                                                 static_cast<const uint8_t*>(x.data_ptr()), idx, p);
      break;
    case 4:
      index_select_forward_kernel<<<grid, kBlock, 0, c.stream>>>(static_cast<uint32_t*>(y.data_ptr()),
                                                                 static_cast<const uint32_t*>(x.data_ptr()), idx, p);
      break;
    default:
      index_select_forward_kernel<<<grid, kBlock, 0, c.stream>>>(static_cast<uint64_t*>(y.data_ptr()),
                                                                 static_cast<const uint64_t*>(x.data_ptr()), idx, p);
      break;
  }
  CUDANET_LAUNCH_CHECK("index_select_forward_kernel");
}

void index_select_backward(const Tensor& dx, const Tensor& dy, const Tensor& index, const IndexSelectParams& p) {
  Context& c = ctx_of(dy);
  CUDANET_CUDA_CHECK(cudaMemsetAsync(dx.data_ptr(), 0, dx.nbytes(), c.stream));
  const int64_t n = p.rows_out * p.inner;
  if (n == 0) return;
  dispatch_floating(dy.dtype(), "index_select_backward", [&](auto tag) {
    using T = decltype(tag);
    index_select_backward_kernel<T><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(
        dx.data<T>(), dy.data<T>(), index.data<int32_t>(), p);
  });
  CUDANET_LAUNCH_CHECK("index_select_backward_kernel");
}

}  // namespace cudanet::cuda
