// CUDA graphs on the emulated device: a captured stream records its launches,
// copies, memsets and host functions as nodes, with the kernels' arguments
// copied at capture as CUDA does; a graph launch replays the nodes in order.
// So a captured training step replays with whatever its device buffers hold
// then (a new learning rate, new batch indices), and nothing else changes.
#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include "device.h"
#include "graph.h"

namespace cudaemu {
namespace {
struct Node {
  std::function<cudaError_t()> run;
};
}  // namespace
}  // namespace cudaemu

struct CUgraph_st {
  std::vector<cudaemu::Node> nodes;
  cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
  std::thread::id owner;
  bool invalidated = false;
  std::string why;
};
struct CUgraphExec_st {
  std::vector<cudaemu::Node> nodes;
};

namespace cudaemu {

namespace {
std::mutex g_mutex;
std::vector<CUstream_st*> g_capturing;

cudaError_t append(CUstream_st* s, std::function<cudaError_t()> run) {
  if (s->graph->invalidated)
    return fail(cudaErrorStreamCaptureInvalidated, "the capture was invalidated earlier: " + s->graph->why);
  s->graph->nodes.push_back({std::move(run)});
  return cudaSuccess;
}
}  // namespace

void record_kernel(CUstream_st* s, const LaunchSite& site, dim3 grid, dim3 block, size_t smem,
                   std::function<void()> body) {
  append(s, [site, grid, block, smem, body = std::move(body)] { return run_kernel(site, grid, block, smem, body); });
}
cudaError_t record_copy(CUstream_st* s, void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  return append(s, [=] { return copy(dst, src, bytes, kind, "memcpy node"); });
}
cudaError_t record_fill(CUstream_st* s, void* p, int value, size_t bytes) {
  return append(s, [=] { return fill(p, value, bytes, "memset node"); });
}
cudaError_t record_host(CUstream_st* s, cudaHostFn_t fn, void* user_data) {
  return append(s, [=] {
    fn(user_data);
    return cudaSuccess;
  });
}

cudaError_t invalidate_capture(CUstream_st* s, const std::string& why) {
  if (!s->graph->invalidated) s->graph->invalidated = true, s->graph->why = why;
  return fail(cudaErrorStreamCaptureUnsupported, why);
}

cudaError_t capture_guard(const char* call, CUstream_st* s) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const bool device_wide = s == nullptr || s == stream_of(nullptr);
  for (CUstream_st* c : g_capturing) {
    const bool hit = c == s || (device_wide && (c->graph->mode == cudaStreamCaptureModeGlobal ||
                                                (c->graph->mode == cudaStreamCaptureModeThreadLocal &&
                                                 c->graph->owner == std::this_thread::get_id())));
    if (hit) return invalidate_capture(c, std::string(call) + " while a stream is being captured");
  }
  return cudaSuccess;
}

void end_capture_on_destroy(CUstream_st* s) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!s->graph) return;
  g_capturing.erase(std::remove(g_capturing.begin(), g_capturing.end(), s), g_capturing.end());
  delete s->graph;
  s->graph = nullptr;
}

}  // namespace cudaemu

using namespace cudaemu;

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode) {
  CUstream_st* s = stream_of(stream);
  if (s == stream_of(nullptr))
    return fail(cudaErrorStreamCaptureUnsupported, "cudaStreamBeginCapture: the legacy default stream cannot be captured");
  std::lock_guard<std::mutex> lock(g_mutex);
  if (s->graph) return fail(cudaErrorIllegalState, "cudaStreamBeginCapture: the stream is already being captured");
  s->graph = new CUgraph_st();
  s->graph->mode = mode;
  s->graph->owner = std::this_thread::get_id();
  g_capturing.push_back(s);
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
  CUstream_st* s = stream_of(stream);
  std::lock_guard<std::mutex> lock(g_mutex);
  *graph = nullptr;
  if (!s->graph) return fail(cudaErrorIllegalState, "cudaStreamEndCapture: the stream is not being captured");
  if (s->graph->owner != std::this_thread::get_id() && s->graph->mode != cudaStreamCaptureModeRelaxed)
    return fail(cudaErrorStreamCaptureWrongThread, "cudaStreamEndCapture from another thread than the capture's");
  g_capturing.erase(std::remove(g_capturing.begin(), g_capturing.end(), s), g_capturing.end());
  CUgraph_st* g = s->graph;
  s->graph = nullptr;
  if (g->invalidated) {
    const std::string why = g->why;
    delete g;
    return fail(cudaErrorStreamCaptureInvalidated, "the capture was invalidated: " + why);
  }
  *graph = g;
  return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus* status) {
  const CUstream_st* s = stream_of(stream);
  std::lock_guard<std::mutex> lock(g_mutex);
  *status = !s->graph ? cudaStreamCaptureStatusNone
                      : s->graph->invalidated ? cudaStreamCaptureStatusInvalidated : cudaStreamCaptureStatusActive;
  return cudaSuccess;
}

cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t* nodes, size_t* count) {
  if (!graph || !count) return fail(cudaErrorInvalidValue, "cudaGraphGetNodes: null graph or count");
  if (nodes)  // opaque handles: 1-based node positions
    for (size_t i = 0; i < std::min(*count, graph->nodes.size()); ++i)
      nodes[i] = reinterpret_cast<cudaGraphNode_t>(i + 1);
  *count = graph->nodes.size();
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
  if (!exec || !graph) return fail(cudaErrorInvalidValue, "cudaGraphInstantiate: null graph");
  *exec = new CUgraphExec_st{graph->nodes};
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
  if (!exec) return fail(cudaErrorInvalidResourceHandle, "cudaGraphLaunch: null graph");
  CUstream_st* s = stream_of(stream);
  if (s->graph)  // a graph launched into a capture becomes one node of it
    return append(s, [nodes = exec->nodes] {
      for (const Node& n : nodes)
        if (cudaError_t e = n.run()) return e;
      return cudaSuccess;
    });
  for (const Node& n : exec->nodes)
    if (cudaError_t e = n.run()) return e;
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec;
  return cudaSuccess;
}
cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph;
  return cudaSuccess;
}
