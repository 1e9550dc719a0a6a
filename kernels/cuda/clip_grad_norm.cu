#include <algorithm>

#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/clip_grad_norm.cuh"
#include "kernels/cuda/launch.cuh"

namespace cudanet::cuda {

namespace {
constexpr int64_t kClipChunk = 2 * kBlock;
// Gradients per launch: the list travels by value as a kernel argument (so
// nothing is uploaded and nothing syncs) and must stay under the 4 KB limit.
constexpr int kClipMaxTensors = 128;

// The gradients of one launch as a concatenated range: tensor t holds elements
// [start[t], start[t + 1]) of it. Read in place from the parameter space (the
// helpers below are inlined, so no per-thread copy is made).
struct ClipTensorList {
  void* ptr[kClipMaxTensors];
  int64_t start[kClipMaxTensors + 1];
  int count;
};
static_assert(sizeof(ClipTensorList) < 4000, "kernel arguments are limited to 4 KB");

__device__ __forceinline__ int find_tensor(const ClipTensorList& l, int64_t e) {
  int lo = 0, hi = l.count - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (l.start[mid] <= e) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// Calls f(element reference) for every element of the list, blocks walking
// chunks of the concatenated range as optim_step_kernel does.
template <class T, class F>
__device__ __forceinline__ void for_each_element(const ClipTensorList& l, F&& f) {
  const int64_t total = l.start[l.count];
  for (int64_t begin = blockIdx.x * kClipChunk; begin < total; begin += gridDim.x * kClipChunk) {
    const int64_t end = begin + kClipChunk < total ? begin + kClipChunk : total;
    int64_t e = begin + threadIdx.x;
    if (e >= end) continue;
    int t = find_tensor(l, e);
    for (; e < end; e += blockDim.x) {
      while (e >= l.start[t + 1]) ++t;
      f(static_cast<T*>(l.ptr[t])[e - l.start[t]]);
    }
  }
}
}  // namespace

// ---------------------------------------------------------------- CUDA kernels

// partials[block] = sum of squares of the block's elements, in double.
template <class T>
__global__ void clip_grad_norm_partial_kernel(ClipTensorList l, double* partials) {
  double acc = 0;
  for_each_element<T>(l, [&](T& v) { acc += static_cast<double>(v) * v; });
  acc = block_sum(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

// Every block sums all partials in the same order (so all agree), turns the
// norm into the clip coefficient and scales its elements; block 0 also stores
// the norm when asked.
template <class T>
__global__ void clip_grad_norm_scale_kernel(ClipTensorList l, const double* partials, int num_partials, T* norm,
                                            ClipGradNormParams p) {
  __shared__ double coef;
  double acc = 0;
  for (int k = threadIdx.x; k < num_partials; k += blockDim.x) acc += partials[k];
  acc = block_sum(acc);
  if (threadIdx.x == 0) {
    const double total = sqrt(acc);
    coef = clip_coefficient(total, p);
    if (norm && blockIdx.x == 0) *norm = static_cast<T>(total);
  }
  __syncthreads();
  const T c = static_cast<T>(coef);
  for_each_element<T>(l, [&](T& v) { v *= c; });
}

// ------------------------------------------------------------ kernel launchers

void clip_grad_norm(const Tensor& norm, const std::vector<Tensor>& grads, const ClipGradNormParams& p) {
  Context& c = ctx_of(norm);
  std::vector<ClipTensorList> lists;
  for (size_t i = 0; i < grads.size(); ++i) {
    if (i % kClipMaxTensors == 0) lists.push_back(ClipTensorList{{}, {0}, 0});
    ClipTensorList& l = lists.back();
    l.ptr[l.count] = grads[i].data_ptr();
    l.start[l.count + 1] = l.start[l.count] + grads[i].numel();
    ++l.count;
  }
  auto grid_for = [&](const ClipTensorList& l, int64_t per_sm) {
    const int64_t chunks = (l.start[l.count] + kClipChunk - 1) / kClipChunk;
    return static_cast<unsigned>(std::clamp<int64_t>(chunks, 1, c.props.multiProcessorCount * per_sm));
  };
  std::vector<unsigned> partial_grids;
  int64_t num_partials = 0;
  for (const auto& l : lists) {
    partial_grids.push_back(grid_for(l, 4));
    num_partials += partial_grids.back();
  }
  // Stream-ordered scratch from the pool: freed when this returns, reused after the kernels ran.
  Tensor partials = Tensor::empty(Shape{num_partials}, DType::f64, norm.device());
  dispatch_floating(norm.dtype(), "clip_grad_norm", [&](auto tag) {
    using T = decltype(tag);
    double* out = partials.data<double>();
    for (size_t k = 0; k < lists.size(); ++k) {
      clip_grad_norm_partial_kernel<T><<<partial_grids[k], kBlock, 0, c.stream>>>(lists[k], out);
      CUDANET_LAUNCH_CHECK("clip_grad_norm_partial_kernel");
      out += partial_grids[k];
    }
    for (size_t k = 0; k < lists.size(); ++k) {
      clip_grad_norm_scale_kernel<T><<<grid_for(lists[k], 8), kBlock, 0, c.stream>>>(
          lists[k], partials.data<double>(), static_cast<int>(num_partials), k == 0 ? norm.data<T>() : nullptr, p);
      CUDANET_LAUNCH_CHECK("clip_grad_norm_scale_kernel");
    }
  });
}

}  // namespace cudanet::cuda
