#pragma once
// Shared launch helpers for the hand-written kernels.
#include <cstdint>

#include "core/cuda/context.h"
#include "core/tensor.h"

namespace cudanet::cuda {

constexpr int kBlock = 256;

// Enough blocks to fill the device a few times over; kernels loop grid-stride.
inline unsigned elementwise_grid(int64_t n, const Context& ctx) {
  const int64_t max_blocks = static_cast<int64_t>(ctx.props.multiProcessorCount) * 8;
  int64_t g = (n + kBlock - 1) / kBlock;
  return static_cast<unsigned>(g < 1 ? 1 : (g > max_blocks ? max_blocks : g));
}

inline Context& ctx_of(const Tensor& t) { return context(t.device().index); }

}  // namespace cudanet::cuda

#define CUDANET_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); i += static_cast<int64_t>(gridDim.x) * blockDim.x)
