#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/range_check.cuh"

namespace cudanet::cuda {

namespace {
constexpr unsigned long long kNone = ~0ull;
}  // namespace

// ---------------------------------------------------------------- CUDA kernels

// values (n) -> *first_bad = the smallest position whose value is outside [0, upper).
__global__ void range_check_kernel(unsigned long long* first_bad, const int32_t* values, int64_t n, int64_t upper) {
  CUDANET_GRID_STRIDE(i, n) {
    if (values[i] < 0 || values[i] >= upper) atomicMin(first_bad, static_cast<unsigned long long>(i));
  }
}

// ------------------------------------------------------------ kernel launchers

OutOfRange first_out_of_range(const Tensor& values, int64_t upper) {
  Context& c = ctx_of(values);
  const int64_t n = values.numel();
  if (n == 0) return {};
  // Two int32 words hold the 64-bit position (device allocations are 256-byte aligned).
  Tensor scratch = Tensor::empty({2}, DType::i32, values.device());
  auto* first_bad = static_cast<unsigned long long*>(scratch.data_ptr());
  CUDANET_CUDA_CHECK(cudaMemsetAsync(first_bad, 0xFF, sizeof(unsigned long long), c.stream));
  range_check_kernel<<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(first_bad, values.data<int32_t>(), n, upper);
  CUDANET_LAUNCH_CHECK("range_check_kernel");
  unsigned long long pos = kNone;
  CUDANET_CUDA_CHECK(cudaMemcpyAsync(&pos, first_bad, sizeof(pos), cudaMemcpyDeviceToHost, c.stream));
  CUDANET_CUDA_CHECK(cudaStreamSynchronize(c.stream));
  if (pos == kNone) return {};
  OutOfRange bad;
  bad.position = static_cast<int64_t>(pos);
  CUDANET_CUDA_CHECK(cudaMemcpyAsync(&bad.value, values.data<int32_t>() + pos, sizeof(bad.value),
                                     cudaMemcpyDeviceToHost, c.stream));
  CUDANET_CUDA_CHECK(cudaStreamSynchronize(c.stream));
  return bad;
}

}  // namespace cudanet::cuda
