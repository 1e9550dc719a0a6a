#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/optim_step.cuh"

namespace cudanet::cuda {

namespace {
// Elements one block updates before moving on (grid-stride over chunks): small
// enough that the ~100k parameters of the reference model fill every SM.
constexpr int64_t kOptimChunk = 2 * kBlock;

// The last descriptor whose range starts at or before element e. descs sorted by start.
__device__ int find_tensor(const OptimTensorDesc* descs, int count, int64_t e) {
  int lo = 0, hi = count - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (descs[mid].start <= e) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

template <class T>
__device__ T* slot_at(const OptimTensorDesc& d, int k, int64_t i) {
  return d.state[k] ? static_cast<T*>(d.state[k]) + i : nullptr;
}
}  // namespace

// ---------------------------------------------------------------- CUDA kernels

// The parameters seen as one concatenated range of `total` elements; each block
// walks chunks of it, each thread finds its tensor once per chunk and then only
// steps forward (its elements increase).
template <class T>
__global__ void optim_step_kernel(const OptimTensorDesc* descs, int count, int64_t total, OptimStepParams p) {
  for (int64_t begin = blockIdx.x * kOptimChunk; begin < total; begin += gridDim.x * kOptimChunk) {
    const int64_t end = begin + kOptimChunk < total ? begin + kOptimChunk : total;
    int64_t e = begin + threadIdx.x;
    if (e >= end) continue;
    int t = find_tensor(descs, count, e);
    for (; e < end; e += blockDim.x) {
      while (e >= descs[t].start + descs[t].numel) ++t;
      const OptimTensorDesc& d = descs[t];
      const int64_t i = e - d.start;
      T* x = static_cast<T*>(d.param) + i;
      T v = *x;  // in a register: the state pointers may alias as far as the compiler knows
      optim_update(p, v, static_cast<const T*>(d.grad)[i], slot_at<T>(d, 0, i), slot_at<T>(d, 1, i),
                   slot_at<T>(d, 2, i));
      *x = v;
    }
  }
}

// ------------------------------------------------------------ kernel launchers

void optim_step(const std::vector<OptimTensorDesc>& descs, const Tensor& descs_on_device, const OptimStepParams& p) {
  if (descs.empty()) return;
  CUDANET_CHECK(descs_on_device.nbytes() == descs.size() * sizeof(OptimTensorDesc),
                "optim_step: device descriptor buffer ", descs_on_device.describe(), " does not hold ",
                descs.size(), " descriptors");
  Context& c = ctx_of(descs_on_device);
  const int64_t total = descs.back().start + descs.back().numel;
  const int64_t chunks = (total + kOptimChunk - 1) / kOptimChunk;
  const int64_t max_blocks = static_cast<int64_t>(c.props.multiProcessorCount) * 8;
  const unsigned grid = static_cast<unsigned>(chunks < max_blocks ? chunks : max_blocks);
  const auto* d = static_cast<const OptimTensorDesc*>(descs_on_device.data_ptr());
  const int count = static_cast<int>(descs.size());
  dispatch_floating(p.dtype, "optim_step", [&](auto tag) {
    using T = decltype(tag);
    optim_step_kernel<T><<<grid, kBlock, 0, c.stream>>>(d, count, total, p);
  });
  CUDANET_LAUNCH_CHECK("optim_step_kernel");
}

}  // namespace cudanet::cuda
