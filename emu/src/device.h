#pragma once
// The emulated device's state and its work, shared by the runtime API
// (runtime.cpp) and graph replay (graph.cpp).
#include <functional>
#include <string>

#include "cuda_runtime.h"

// A stream records its work into `graph` while it is being captured; otherwise
// work runs when issued.
struct CUstream_st {
  CUgraph_st* graph = nullptr;
};

namespace cudaemu {

// Sets the calling thread's last error and the report; returns `e`.
cudaError_t fail(cudaError_t e, const std::string& why);
CUstream_st* stream_of(cudaStream_t s);  // the default stream for 0 and the special handles
bool valid_device(int d);
int current_device();  // the calling thread's, as cudaSetDevice set it

// Device (device >= 0) or pinned host (-1) memory, exact size, 256-byte aligned.
cudaError_t allocate(void** ptr, size_t bytes, int device);
cudaError_t release(void* p, bool pinned, const char* call);

// The work itself, run now or replayed from a graph.
cudaError_t run_kernel(const LaunchSite& site, dim3 grid, dim3 block, size_t smem, const std::function<void()>& body);
cudaError_t copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, const char* call);
cudaError_t fill(void* p, int value, size_t bytes, const char* call);

}  // namespace cudaemu
