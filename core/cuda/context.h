#pragma once
// Per-device context: the compute stream, a copy stream, lazily created cuBLAS
// and cuDNN handles, and the stream-ordered memory pool. Internal header.
//
// Threading rule: the GPU ops of one device are issued from one thread at a
// time. The handles, the workspace and the cached cuDNN descriptors of a device
// are shared and not locked (cuDNN forbids concurrent use of a handle anyway);
// only creating a context is thread-safe.
#include <cstddef>

#include "core/cuda/check.h"

namespace cudanet::cuda {

struct Context {
  int device = 0;
  cudaStream_t stream = nullptr;       // all compute is ordered on this stream
  cudaStream_t copy_stream = nullptr;  // host-to-device prefetch by the data loader
  cudaDeviceProp props{};

  cublasHandle_t cublas();
  cudnnHandle_t cudnn();
  // Scratch space for cuBLAS/cuDNN, grown on demand, ordered on `stream`.
  void* workspace(size_t bytes);

 private:
  cublasHandle_t cublas_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
};

// The context of `device`, created on first use; also makes `device` current.
Context& context(int device);

// Stream-ordered allocation from the device's pool (release threshold raised so
// freed blocks stay cached: allocation inside a training step costs no syscall).
void* device_alloc(size_t bytes, int device);
void device_free(void* ptr, int device) noexcept;
void* pinned_alloc(size_t bytes);
void pinned_free(void* ptr) noexcept;

}  // namespace cudanet::cuda
