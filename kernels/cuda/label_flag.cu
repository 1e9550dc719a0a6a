// No kernel here: a __device__ variable needs nvcc, and the kernels of other
// files reach it through its address (the build has no relocatable device code).
#include "kernels/cuda/label_flag.cuh"

namespace cudanet::cuda {

namespace {
// One instance per device.
__device__ LabelFlag g_label_flag;
}  // namespace

LabelFlag* label_flag(Context&) {
  void* addr = nullptr;
  CUDANET_CUDA_CHECK(cudaGetSymbolAddress(&addr, g_label_flag));
  return static_cast<LabelFlag*>(addr);
}

LabelFlag take_label_flag(Context& c) {
  LabelFlag flag{};
  CUDANET_CUDA_CHECK(
      cudaMemcpyFromSymbolAsync(&flag, g_label_flag, sizeof(flag), 0, cudaMemcpyDeviceToHost, c.stream));
  CUDANET_CUDA_CHECK(cudaStreamSynchronize(c.stream));
  if (flag.set) CUDANET_CUDA_CHECK(cudaMemsetAsync(label_flag(c), 0, sizeof(flag), c.stream));
  return flag;
}

}  // namespace cudanet::cuda
