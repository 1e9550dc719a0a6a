// The runtime API's work, issue and streams on the emulated device: work runs
// when it is issued, in issue order, which is one valid order of every CUDA
// program that synchronises correctly; a stream being captured records its
// work instead (graph.cpp).
#include <chrono>
#include <string>

#include "device.h"
#include "graph.h"

struct CUevent_st {
  unsigned flags = 0;
  bool recorded = false;
  std::chrono::steady_clock::time_point when{};
};

namespace cudaemu {

void launch(const LaunchSite& site, dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
            std::function<void()> body) {
  CUstream_st* s = stream_of(stream);
  if (s->graph) return record_kernel(s, site, grid, block, smem, std::move(body));
  run_kernel(site, grid, block, smem, body);
}

}  // namespace cudaemu

using namespace cudaemu;

// ---------------------------------------------------------------- memory

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  if (cudaError_t e = capture_guard("cudaMalloc", nullptr)) return e;
  return allocate(ptr, bytes, current_device());
}
cudaError_t cudaFree(void* ptr) {
  if (cudaError_t e = capture_guard("cudaFree", nullptr)) return e;
  return release(ptr, false, "cudaFree");
}
cudaError_t cudaMallocAsync(void** ptr, size_t bytes, cudaStream_t stream) {
  if (stream_of(stream)->graph)
    return invalidate_capture(stream_of(stream), "cudaMallocAsync inside a captured region is not emulated (cudanet "
                                                 "keeps allocations out of captured steps)");
  return allocate(ptr, bytes, current_device());
}
cudaError_t cudaFreeAsync(void* ptr, cudaStream_t stream) {
  if (stream_of(stream)->graph)
    return invalidate_capture(stream_of(stream), "cudaFreeAsync inside a captured region is not emulated");
  return release(ptr, false, "cudaFreeAsync");
}
cudaError_t cudaMallocHost(void** ptr, size_t bytes) { return allocate(ptr, bytes, -1); }
cudaError_t cudaHostAlloc(void** ptr, size_t bytes, unsigned) { return allocate(ptr, bytes, -1); }
cudaError_t cudaFreeHost(void* ptr) { return release(ptr, true, "cudaFreeHost"); }


cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  if (cudaError_t e = capture_guard("cudaMemcpy", nullptr)) return e;
  return copy(dst, src, bytes, kind, "cudaMemcpy");
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
  CUstream_st* s = stream_of(stream);
  if (s->graph) return record_copy(s, dst, src, bytes, kind);
  return copy(dst, src, bytes, kind, "cudaMemcpyAsync");
}
cudaError_t cudaMemcpyPeerAsync(void* dst, int dst_device, const void* src, int src_device, size_t bytes,
                                cudaStream_t stream) {
  if (!valid_device(dst_device) || !valid_device(src_device))
    return fail(cudaErrorInvalidDevice, "cudaMemcpyPeerAsync: no such emulated device");
  return cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream);
}
cudaError_t cudaMemset(void* ptr, int value, size_t bytes) {
  if (cudaError_t e = capture_guard("cudaMemset", nullptr)) return e;
  return fill(ptr, value, bytes, "cudaMemset");
}
cudaError_t cudaMemsetAsync(void* ptr, int value, size_t bytes, cudaStream_t stream) {
  CUstream_st* s = stream_of(stream);
  if (s->graph) return record_fill(s, ptr, value, bytes);
  return fill(ptr, value, bytes, "cudaMemsetAsync");
}

// ---------------------------------------------------------------- streams and events

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  *stream = new CUstream_st();
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  if (stream == nullptr || stream_of(stream) == stream_of(nullptr)) return cudaSuccess;
  end_capture_on_destroy(stream);
  delete stream;
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize() { return capture_guard("cudaDeviceSynchronize", nullptr); }
cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  return capture_guard("cudaStreamSynchronize", stream_of(stream));
}
cudaError_t cudaStreamQuery(cudaStream_t stream) { return capture_guard("cudaStreamQuery", stream_of(stream)); }
cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t event, unsigned) {
  return event ? cudaSuccess : fail(cudaErrorInvalidResourceHandle, "cudaStreamWaitEvent: null event");
}
cudaError_t cudaLaunchHostFunc(cudaStream_t stream, cudaHostFn_t fn, void* user_data) {
  CUstream_st* s = stream_of(stream);
  if (s->graph) return record_host(s, fn, user_data);
  fn(user_data);
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, cudaEventDefault); }
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned flags) {
  *event = new CUevent_st();
  (*event)->flags = flags;
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (!event) return fail(cudaErrorInvalidResourceHandle, "cudaEventRecord: null event");
  // Inside a capture the event orders nothing here (the graph replays in order).
  if (stream_of(stream)->graph) return cudaSuccess;
  event->recorded = true;
  event->when = std::chrono::steady_clock::now();
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  return event ? cudaSuccess : fail(cudaErrorInvalidResourceHandle, "cudaEventSynchronize: null event");
}
cudaError_t cudaEventQuery(cudaEvent_t event) {
  return event ? cudaSuccess : fail(cudaErrorInvalidResourceHandle, "cudaEventQuery: null event");
}
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!start || !end || !start->recorded || !end->recorded || (start->flags | end->flags) & cudaEventDisableTiming)
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event was not recorded or has no timing");
  *ms = std::chrono::duration<float, std::milli>(end->when - start->when).count();
  return cudaSuccess;
}
