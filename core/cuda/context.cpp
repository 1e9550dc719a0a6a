#include "core/cuda/context.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/device.h"

namespace cudanet::cuda {

void throw_cuda_error(cudaError_t e, const char* file, int line, const char* expr) {
  cudaGetLastError();  // clear a sticky-free error so the next call starts clean
  std::string msg = detail::cat("CUDA error ", cudaGetErrorName(e), ": ", cudaGetErrorString(e));
  if (e == cudaErrorMemoryAllocation) {
    try {
      detail::throw_error(file, line, expr, msg);
    } catch (const Error& err) {
      throw OutOfMemoryError(err.what());
    }
  }
  detail::throw_error(file, line, expr, msg);
}

void throw_cublas_error(cublasStatus_t s, const char* file, int line, const char* expr) {
  detail::throw_error(file, line, expr, detail::cat("cuBLAS error ", cublasGetStatusName(s), ": ",
                                                    cublasGetStatusString(s)));
}

void throw_cudnn_error(cudnnStatus_t s, const char* file, int line, const char* expr) {
  // cuDNN 9 keeps a sentence on why the last call failed (which dimension, which sub-library).
  char why[1024] = {0};
  cudnnGetLastErrorString(why, sizeof why);
  detail::throw_error(file, line, expr,
                      detail::cat("cuDNN error: ", cudnnGetErrorString(s), why[0] ? ": " : "", why));
}

void after_launch(const char* file, int line, const char* kernel) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw_cuda_error(e, file, line, kernel);
#ifdef CUDANET_SYNC_LAUNCHES
  e = cudaDeviceSynchronize();
  if (e != cudaSuccess) throw_cuda_error(e, file, line, kernel);
#endif
}

namespace {
constexpr int kMaxDevices = 16;
std::mutex g_mutex;
// Contexts live until the process ends and are deliberately never destroyed:
// destroying handles during static destruction races the CUDA runtime's own
// teardown, and the driver reclaims everything at exit anyway.
// Atomic: context() reads a slot without the lock once it is set.
std::array<std::atomic<Context*>, kMaxDevices> g_contexts{};
thread_local int t_current = -1;

Context* create(int device) {
  auto* c = new Context();
  c->device = device;
  CUDANET_CUDA_CHECK(cudaSetDevice(device));
  CUDANET_CUDA_CHECK(cudaGetDeviceProperties(&c->props, device));
  CUDANET_CUDA_CHECK(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
  CUDANET_CUDA_CHECK(cudaStreamCreateWithFlags(&c->copy_stream, cudaStreamNonBlocking));
  cudaMemPool_t pool;
  CUDANET_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
  uint64_t threshold = UINT64_MAX;
  CUDANET_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold));
  return c;
}
}  // namespace

Context& context(int device) {
  CUDANET_CHECK(device >= 0 && device < kMaxDevices, "CUDA device index ", device, " out of range");
  Context* c = g_contexts[device].load(std::memory_order_acquire);
  if (!c) {
    std::lock_guard<std::mutex> lock(g_mutex);
    c = g_contexts[device].load(std::memory_order_relaxed);
    if (!c) {
      require_device(Device::cuda(device));
      c = create(device);
      g_contexts[device].store(c, std::memory_order_release);
    }
  }
  if (t_current != device) {
    CUDANET_CUDA_CHECK(cudaSetDevice(device));
    t_current = device;
  }
  return *c;
}

// A handle is kept only once it is bound to the compute stream: one left on the
// legacy stream after a failed setup would race the non-blocking compute stream.
cublasHandle_t Context::cublas() {
  if (!cublas_) {
    cublasHandle_t h = nullptr;
    CUDANET_CUBLAS_CHECK(cublasCreate(&h));
    cublasStatus_t s = cublasSetStream(h, stream);
    // FP32 stays FP32: TF32 tensor-core math would change results against the CPU
    // reference; it is opt-in through set_allow_tf32 (see docs/kernels.md).
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasSetMathMode(h, CUBLAS_DEFAULT_MATH);
    if (s != CUBLAS_STATUS_SUCCESS) {
      cublasDestroy(h);
      CUDANET_CUBLAS_CHECK(s);
    }
    cublas_ = h;
  }
  return cublas_;
}

cudnnHandle_t Context::cudnn() {
  if (!cudnn_) {
    cudnnHandle_t h = nullptr;
    CUDANET_CUDNN_CHECK(cudnnCreate(&h));
    const cudnnStatus_t s = cudnnSetStream(h, stream);
    if (s != CUDNN_STATUS_SUCCESS) {
      cudnnDestroy(h);
      CUDANET_CUDNN_CHECK(s);
    }
    cudnn_ = h;
  }
  return cudnn_;
}

void* Context::workspace(size_t bytes) {
  if (bytes > workspace_bytes_) {
    // Forget the old block before allocating: if the allocation throws (out of
    // memory, which autotuning catches and goes on), no later call may be handed
    // the freed block or free it twice.
    void* old = workspace_;
    workspace_ = nullptr;
    workspace_bytes_ = 0;
    device_free(old, device);  // stream-ordered: work already queued still sees it
    workspace_ = device_alloc(bytes, device);
    workspace_bytes_ = bytes;
  }
  return workspace_;
}

void* device_alloc(size_t bytes, int device) {
  Context& c = context(device);
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  cudaError_t e = cudaMallocAsync(&p, bytes, c.stream);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    throw OutOfMemoryError(detail::cat("out of device memory on cuda:", device, ": requested ", bytes,
                                       " bytes, ", free_b, " of ", total_b,
                                       " bytes free (try a smaller --batch-size)"));
  }
  CUDANET_CUDA_CHECK(e);
  return p;
}

void device_free(void* ptr, int device) noexcept {
  if (!ptr) return;
  Context* c = g_contexts[device].load(std::memory_order_acquire);
  if (c) cudaFreeAsync(ptr, c->stream);
}

void* pinned_alloc(size_t bytes) {
  void* p = nullptr;
  CUDANET_CUDA_CHECK(cudaMallocHost(&p, bytes));
  return p;
}

void pinned_free(void* ptr) noexcept {
  if (ptr) cudaFreeHost(ptr);
}

}  // namespace cudanet::cuda

namespace cudanet {

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

bool cuda_available() { return cuda_device_count() > 0; }

bool cuda_emulated() {
#ifdef CUDANET_CUDA_EMULATION
  return true;
#else
  return false;
#endif
}

std::string cuda_unavailable_reason() {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  cudaGetLastError();
  if (e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice)
    return detail::cat("no usable NVIDIA GPU (", cudaGetErrorString(e), ")");
  if (e != cudaSuccess) return detail::cat("CUDA initialisation failed (", cudaGetErrorString(e), ")");
  if (n == 0) return "no CUDA device present";
  return "CUDA is available";
}

std::string cuda_device_description(int index) {
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, index) != cudaSuccess) {
    cudaGetLastError();
    return "unknown";
  }
  return detail::cat(p.name, " (sm_", p.major, p.minor, ", ", p.multiProcessorCount, " SMs, ",
                     p.totalGlobalMem >> 20, " MiB)");
}

}  // namespace cudanet
