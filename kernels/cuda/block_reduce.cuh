#pragma once
// Warp and block reductions shared by the hand-written kernels: the warp
// butterfly of the row-wise kernels (row_reduce.cuh) and the one block sum of
// batch_norm.cu, reduce.cu and clip_grad_norm.cu. Device code: included by .cu
// files only.
#include <cuda_runtime.h>

namespace cudanet::cuda {

constexpr int kWarpSize = 32;

struct SumOp {
  template <class T>
  __device__ T operator()(T a, T b) const { return a + b; }
};

// A type made of several words overloads this in its own namespace, where
// warp_all_reduce finds it by argument-dependent lookup (MaxSum: row_reduce.cuh).
template <class T>
__device__ __forceinline__ T shfl_xor(T v, int mask) { return __shfl_xor_sync(0xffffffffu, v, mask); }

// Butterfly: every lane ends with the same value, because each step combines
// the same two operands in a commutative way on both partners.
template <class T, class Op>
__device__ __forceinline__ T warp_all_reduce(T v, Op op) {
  for (int mask = kWarpSize / 2; mask > 0; mask >>= 1) v = op(v, shfl_xor(v, mask));
  return v;
}

// Sum of v over the block, returned to every thread. Every thread of the block
// calls it (it has barriers); blockDim.x is a multiple of 32, at most 1024. The
// order of the additions is fixed (a butterfly in each warp, then one over the
// warps' sums), so a result does not depend on thread timing. Safe to call
// repeatedly: each shared slot is rewritten only after the barrier that follows
// its last read.
template <class T>
__device__ T block_sum(T v) {
  __shared__ T partial[kWarpSize];
  __shared__ T total;
  v = warp_all_reduce(v, SumOp{});
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = warp_all_reduce(lane < static_cast<int>(blockDim.x / kWarpSize) ? partial[lane] : T(0), SumOp{});
    if (lane == 0) total = v;
  }
  __syncthreads();
  return total;
}

}  // namespace cudanet::cuda
