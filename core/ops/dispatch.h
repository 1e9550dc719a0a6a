#pragma once
// The one line of dispatch an op entry point writes:
//   CUDANET_DISPATCH(x.device(), pool2d_forward, y, x, params);
// calls cpu::pool2d_forward or cuda::pool2d_forward with identical arguments.
#include "core/device.h"
#include "core/error.h"

namespace cudanet::detail {
[[noreturn]] inline void no_cuda_backend(const char* op) {
  CUDANET_FAIL(op, ": tensor is on a CUDA device but cudanet was built without CUDA");
}
}  // namespace cudanet::detail

#ifdef CUDANET_WITH_CUDA
#define CUDANET_DISPATCH(device, fn, ...) \
  ((device).is_cuda() ? ::cudanet::cuda::fn(__VA_ARGS__) : ::cudanet::cpu::fn(__VA_ARGS__))
#else
#define CUDANET_DISPATCH(device, fn, ...) \
  ((device).is_cuda() ? ::cudanet::detail::no_cuda_backend(#fn) : ::cudanet::cpu::fn(__VA_ARGS__))
#endif
