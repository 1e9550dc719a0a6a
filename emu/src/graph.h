#pragma once
// Stream capture on the emulated device (graph.cpp): what the runtime API calls
// when a stream is being captured.
#include <functional>
#include <string>

#include "device.h"

namespace cudaemu {

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
