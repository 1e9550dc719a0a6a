#include "core/storage.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/error.h"
#include "core/host_allocator.h"
#ifdef CUDANET_WITH_CUDA
#include "core/cuda/context.h"
#endif

namespace cudanet {

namespace {
std::atomic<bool> g_poison{false};
}  // namespace

void set_poison_allocations(bool on) { g_poison = on; }
bool poison_allocations() { return g_poison; }

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  if (bytes == 0) return;
  if (device.is_cpu()) {
    data_ = detail::host_alloc(bytes);
    if (!data_) throw OutOfMemoryError(detail::cat("out of host memory: requested ", bytes, " bytes"));
    if (g_poison) std::memset(data_, 0xFF, bytes);
    return;
  }
#ifdef CUDANET_WITH_CUDA
  data_ = cuda::device_alloc(bytes, device.index);
  if (g_poison) CUDANET_CUDA_CHECK(cudaMemsetAsync(data_, 0xFF, bytes, cuda::context(device.index).stream));
#else
  require_device(device);
#endif
}

Storage::~Storage() {
  if (!data_) return;
  if (device_.is_cpu()) {
    detail::host_free(data_, bytes_);
    return;
  }
#ifdef CUDANET_WITH_CUDA
  cuda::device_free(data_, device_.index);
#endif
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
#ifdef CUDANET_WITH_CUDA
  const int dev = dst_device.is_cuda() ? dst_device.index : src_device.index;
  cudaStream_t s = cuda::context(dev).stream;
  if (dst_device.is_cuda() && src_device.is_cuda() && dst_device.index != src_device.index) {
    CUDANET_CUDA_CHECK(cudaMemcpyPeerAsync(dst, dst_device.index, src, src_device.index, bytes, s));
  } else {
    CUDANET_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, s));
  }
  if (dst_device.is_cpu() || src_device.is_cpu()) CUDANET_CUDA_CHECK(cudaStreamSynchronize(s));
#else
  CUDANET_FAIL("copy to or from ", (dst_device.is_cuda() ? dst_device : src_device).str(),
               " but cudanet was built without CUDA");
#endif
}

}  // namespace cudanet
