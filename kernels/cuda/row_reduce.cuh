#pragma once
// Device helpers of the row-wise kernels (softmax, cross-entropy) over x (rows,
// cols): which threads share a row, and their all-reductions. Short rows get
// one warp each (shuffles only, no barrier); long rows get a whole block.
// Device code: included by .cu files only.
#include <cstdint>

#include "kernels/common/softmax.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"

namespace cudanet::cuda {

constexpr int kRowBlock = 256;  // threads per block in both layouts
constexpr int64_t kWarpRowMaxCols = 1024;  // longer rows take a block each

inline bool block_per_row(int64_t cols) { return cols > kWarpRowMaxCols; }

// Enough blocks to cover every row, capped at a few waves: the kernels loop
// over rows, so a huge batch needs no giant grid.
inline unsigned row_grid(int64_t rows, int64_t cols, const Context& ctx) {
  const int64_t rows_per_block = block_per_row(cols) ? 1 : kRowBlock / kWarpSize;
  const int64_t max_blocks = static_cast<int64_t>(ctx.props.multiProcessorCount) * 32;
  const int64_t g = (rows + rows_per_block - 1) / rows_per_block;
  return static_cast<unsigned>(g < 1 ? 1 : (g > max_blocks ? max_blocks : g));
}

struct MaxSumOp {
  template <class T>
  __device__ MaxSum<T> operator()(MaxSum<T> a, MaxSum<T> b) const { return max_sum_merge(a, b); }
};

}  // namespace cudanet::cuda

namespace cudanet {
// MaxSum's shuffle, beside MaxSum so warp_all_reduce (block_reduce.cuh) finds it.
template <class T>
__device__ __forceinline__ MaxSum<T> shfl_xor(MaxSum<T> v, int mask) {
  return {cuda::shfl_xor(v.max, mask), cuda::shfl_xor(v.sum, mask)};
}
}  // namespace cudanet

namespace cudanet::cuda {

// The threads of one row. Launch with blockDim.x == kRowBlock.
template <bool kBlockRow>
struct RowGroup {
  static __device__ __forceinline__ int lane() { return kBlockRow ? threadIdx.x : threadIdx.x % kWarpSize; }
  static __device__ __forceinline__ int width() { return kBlockRow ? kRowBlock : kWarpSize; }
  static __device__ __forceinline__ int64_t first_row() {
    return kBlockRow ? static_cast<int64_t>(blockIdx.x)
                     : static_cast<int64_t>(blockIdx.x) * (kRowBlock / kWarpSize) + threadIdx.x / kWarpSize;
  }
  static __device__ __forceinline__ int64_t row_stride() {
    return static_cast<int64_t>(gridDim.x) * (kBlockRow ? 1 : kRowBlock / kWarpSize);
  }

  // Combines v over the row's threads; every thread gets the result. In the
  // block layout all threads of the block must call it (it has barriers).
  template <class T, class Op>
  static __device__ T all_reduce(T v, Op op) {
    v = warp_all_reduce(v, op);
    if constexpr (kBlockRow) {
      __shared__ T partial[kRowBlock / kWarpSize];
      if (threadIdx.x % kWarpSize == 0) partial[threadIdx.x / kWarpSize] = v;
      __syncthreads();
      v = partial[0];
      for (int w = 1; w < kRowBlock / kWarpSize; ++w) v = op(v, partial[w]);
      __syncthreads();  // partial is reused by the next call
    }
    return v;
  }
};

}  // namespace cudanet::cuda
