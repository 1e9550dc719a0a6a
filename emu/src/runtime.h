#pragma once
// Internal to the emulated runtime: what runtime.cpp and graph.cpp share.
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
CUstream_st* stream_of(cudaStream_t s);

// The work itself, run now or replayed from a graph.
cudaError_t run_kernel(const LaunchSite& site, dim3 grid, dim3 block, size_t smem, const std::function<void()>& body);
cudaError_t copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, const char* call);
cudaError_t fill(void* p, int value, size_t bytes, const char* call);

// Stream capture (graph.cpp): record work on a capturing stream.
void record_kernel(CUstream_st* s, const LaunchSite& site, dim3 grid, dim3 block, size_t smem,
                   std::function<void()> body);
cudaError_t record_copy(CUstream_st* s, void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t record_fill(CUstream_st* s, void* p, int value, size_t bytes);
cudaError_t record_host(CUstream_st* s, cudaHostFn_t fn, void* user_data);
// A call CUDA forbids during capture: on `s` itself, or (s == nullptr or the
// legacy stream) device-wide while a stream captures in global mode. Invalidates
// the capture and returns cudaErrorStreamCaptureUnsupported; else cudaSuccess.
cudaError_t capture_guard(const char* call, CUstream_st* s);
cudaError_t invalidate_capture(CUstream_st* s, const std::string& why);
void end_capture_on_destroy(CUstream_st* s);

}  // namespace cudaemu
