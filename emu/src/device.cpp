// The emulated device's state: its memory (exact-size host allocations, so
// ASan sees every overrun), the errors and the checkers' reports, its properties,
// and the work itself (kernels, copies, memsets) as the runtime issues it and
// graphs replay it.
#include "device.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "cudaemu/control.h"
#include "fault.h"
#include "scheduler.h"

struct CUmemPoolHandle_st {
  int device = 0;
};

namespace cudaemu {

namespace {
constexpr int kMaxDevices = 16;

struct Allocation {
  size_t bytes;
  int device;           // -1: pinned host memory
  bool symbol = false;  // a __device__ variable: never freed
};

struct State {
  std::mutex mutex;
  std::map<uintptr_t, Allocation> allocations;  // by start address
  size_t used[kMaxDevices] = {};
  std::mutex report_mutex;  // apart: fail() is called with `mutex` held
  std::string report;
  int devices = 1;
  int sms = 4;
  size_t memory = 0;
  CUstream_st default_stream;
  CUmemPoolHandle_st pools[kMaxDevices];
};

size_t env_size(const char* name, size_t fallback, size_t lo, size_t hi) {
  const char* s = std::getenv(name);
  if (!s || !*s) return fallback;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (*end || v < lo || v > hi) {
    std::fprintf(stderr, "cudaemu: %s=%s ignored (expected an integer in [%zu, %zu]); using %zu\n", name, s, lo, hi,
                 fallback);
    return fallback;
  }
  return static_cast<size_t>(v);
}

State& state() {
  static State* s = [] {
    auto* st = new State();  // never destroyed: kernels may run during static destruction
    const size_t host = static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
    st->devices = static_cast<int>(env_size("CUDAEMU_DEVICES", 1, 0, kMaxDevices));
    st->sms = static_cast<int>(env_size("CUDAEMU_SMS", 4, 1, 1024));
    st->memory = env_size("CUDAEMU_MEMORY", std::min<size_t>(host / 2, size_t{80} << 30), 1, SIZE_MAX);
    for (int d = 0; d < kMaxDevices; ++d) st->pools[d].device = d;
    return st;
  }();
  return *s;
}

thread_local cudaError_t t_last = cudaSuccess;
thread_local cudaError_t t_detail_code = cudaSuccess;
thread_local std::string t_detail, t_message;
thread_local int t_device = 0;
std::atomic<uint64_t> g_grids{0};

const char* base_string(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInitializationError: return "initialization error";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidSymbol: return "invalid device symbol";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorIllegalState: return "the operation cannot be performed in the present state";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    case cudaErrorNotSupported: return "operation not supported";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
    case cudaErrorStreamCaptureUnmatched: return "the capture was not initiated in this stream";
    case cudaErrorStreamCaptureWrongThread: return "attempt to terminate a thread-local capture sequence from another thread";
    case cudaErrorUnknown: return "unknown error";
  }
  return "unrecognized error code";
}

// The allocation that holds [p, p + bytes), or nullptr. Caller holds the lock.
const Allocation* find_range(State& s, const void* p, size_t bytes) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  auto it = s.allocations.upper_bound(a);
  if (it == s.allocations.begin()) return nullptr;
  --it;
  if (a < it->first || a + bytes > it->first + it->second.bytes) return nullptr;
  return &it->second;
}

std::string hexptr(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

cudaError_t check_device_range(const char* call, const char* role, const void* p, size_t bytes) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const Allocation* a = find_range(s, p, bytes);
  if (a && a->device >= 0) return cudaSuccess;
  return fail(cudaErrorInvalidValue, std::string(call) + ": " + role + " " + hexptr(p) + " (" + std::to_string(bytes) +
                                         " bytes) is not inside a live device allocation");
}

}  // namespace

cudaError_t allocate(void** ptr, size_t bytes, int device) {
  if (!ptr) return fail(cudaErrorInvalidValue, "allocation: null output pointer");
  *ptr = nullptr;
  if (bytes == 0) return cudaSuccess;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (device >= 0 && s.used[device] + bytes > s.memory)
    return fail(cudaErrorMemoryAllocation, "out of memory on emulated device " + std::to_string(device) + ": " +
                                               std::to_string(bytes) + " bytes requested, " +
                                               std::to_string(s.memory - s.used[device]) + " free");
  void* p = nullptr;
  // Exact size (ASan poisons every byte past it); 256-byte aligned like cudaMalloc.
  if (posix_memalign(&p, 256, bytes) != 0)
    return fail(cudaErrorMemoryAllocation, "out of host memory backing the emulated device");
  s.allocations[reinterpret_cast<uintptr_t>(p)] = {bytes, device};
  if (device >= 0) s.used[device] += bytes;
  *ptr = p;
  return cudaSuccess;
}

cudaError_t release(void* p, bool pinned, const char* call) {
  if (!p) return cudaSuccess;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.allocations.find(reinterpret_cast<uintptr_t>(p));
  if (it == s.allocations.end() || it->second.symbol || (it->second.device < 0) != pinned)
    return fail(cudaErrorInvalidValue, std::string(call) + "(" + hexptr(p) + "): not a live " +
                                           (pinned ? "pinned host" : "device") + " allocation (freed twice?)");
  if (it->second.device >= 0) s.used[it->second.device] -= it->second.bytes;
  s.allocations.erase(it);
  std::free(p);
  return cudaSuccess;
}

bool valid_device(int d) { return d >= 0 && d < state().devices; }
int current_device() { return t_device; }

// ---------------------------------------------------------------- device.h

cudaError_t fail(cudaError_t e, const std::string& why) {
  t_last = e;
  t_detail_code = e;
  t_detail = why;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.report_mutex);
  s.report = why;
  return e;
}

CUstream_st* stream_of(cudaStream_t s) {
  if (s == nullptr || s == cudaStreamLegacy || s == cudaStreamPerThread) return &state().default_stream;
  return s;
}

namespace {
// CUDAEMU_LAUNCH_LOG=FILE appends "kernel<TAB>file:line<TAB>caller" the first
// time each launch site and instantiation runs in the process: which kernels,
// and which template configurations of them, a test suite reached.
void log_launch(const LaunchSite& site) {
  static const char* path = std::getenv("CUDAEMU_LAUNCH_LOG");
  if (!path || !*path) return;
  static std::mutex m;
  static std::set<std::string> seen;
  const std::string key = std::string(site.kernel) + "\t" + where_file_line(site.file, site.line) + "\t" + site.caller;
  std::lock_guard<std::mutex> lock(m);
  if (!seen.insert(key).second) return;
  if (FILE* f = std::fopen(path, "a")) {
    std::fprintf(f, "%s\n", key.c_str());
    std::fclose(f);
  }
}
}  // namespace

cudaError_t run_kernel(const LaunchSite& site, dim3 grid, dim3 block, size_t smem, const std::function<void()>& body) {
  log_launch(site);
  std::string why;
  const cudaError_t e = run_grid(site, grid, block, smem, body, why);
  ++g_grids;
  return e == cudaSuccess ? e : fail(e, why);
}

cudaError_t copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, const char* call) {
  if (bytes == 0) return cudaSuccess;
  if (!dst || !src) return fail(cudaErrorInvalidValue, std::string(call) + ": null pointer");
  if (kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice)
    if (cudaError_t e = check_device_range(call, "destination", dst, bytes)) return e;
  if (kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice)
    if (cudaError_t e = check_device_range(call, "source", src, bytes)) return e;
  if (kind > cudaMemcpyDefault) return fail(cudaErrorInvalidMemcpyDirection, std::string(call) + ": bad kind");
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t fill(void* p, int value, size_t bytes, const char* call) {
  if (bytes == 0) return cudaSuccess;
  if (cudaError_t e = check_device_range(call, "destination", p, bytes)) return e;
  std::memset(p, value, bytes);
  return cudaSuccess;
}

void register_symbol(const void* p, size_t bytes) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.allocations.try_emplace(reinterpret_cast<uintptr_t>(p), Allocation{bytes, 0, true});
}

// ---------------------------------------------------------------- control.h

std::string last_report() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.report_mutex);
  return s.report;
}
void clear_report() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.report_mutex);
  s.report.clear();
}
uint64_t grids_run() { return g_grids; }


}  // namespace cudaemu

using namespace cudaemu;

using namespace cudaemu;

// ---------------------------------------------------------------- errors and devices

cudaError_t cudaGetLastError() {
  const cudaError_t e = t_last;
  t_last = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return t_last; }

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
#define CUDAEMU_NAME(x) \
  case x: return #x;
    CUDAEMU_NAME(cudaSuccess) CUDAEMU_NAME(cudaErrorInvalidValue) CUDAEMU_NAME(cudaErrorMemoryAllocation)
    CUDAEMU_NAME(cudaErrorInitializationError) CUDAEMU_NAME(cudaErrorInvalidConfiguration)
    CUDAEMU_NAME(cudaErrorInvalidSymbol) CUDAEMU_NAME(cudaErrorInvalidMemcpyDirection)
    CUDAEMU_NAME(cudaErrorInsufficientDriver) CUDAEMU_NAME(cudaErrorNoDevice) CUDAEMU_NAME(cudaErrorInvalidDevice)
    CUDAEMU_NAME(cudaErrorInvalidResourceHandle) CUDAEMU_NAME(cudaErrorIllegalState) CUDAEMU_NAME(cudaErrorNotReady)
    CUDAEMU_NAME(cudaErrorIllegalAddress) CUDAEMU_NAME(cudaErrorLaunchOutOfResources)
    CUDAEMU_NAME(cudaErrorLaunchFailure) CUDAEMU_NAME(cudaErrorNotSupported)
    CUDAEMU_NAME(cudaErrorStreamCaptureUnsupported) CUDAEMU_NAME(cudaErrorStreamCaptureInvalidated)
    CUDAEMU_NAME(cudaErrorStreamCaptureUnmatched) CUDAEMU_NAME(cudaErrorStreamCaptureWrongThread)
    CUDAEMU_NAME(cudaErrorUnknown)
#undef CUDAEMU_NAME
  }
  return "cudaErrorUnrecognized";
}

const char* cudaGetErrorString(cudaError_t e) {
  if (e != cudaSuccess && e == t_detail_code && !t_detail.empty()) {
    t_message = std::string(base_string(e)) + ": " + t_detail;
    t_detail.clear();
    t_detail_code = cudaSuccess;
    return t_message.c_str();
  }
  return base_string(e);
}

cudaError_t cudaGetDeviceCount(int* count) {
  *count = state().devices;
  return state().devices ? cudaSuccess : fail(cudaErrorNoDevice, "CUDAEMU_DEVICES=0");
}
cudaError_t cudaSetDevice(int device) {
  if (!valid_device(device)) return fail(cudaErrorInvalidDevice, "no emulated device " + std::to_string(device));
  t_device = device;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* device) {
  *device = t_device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int device) {
  if (!valid_device(device)) return fail(cudaErrorInvalidDevice, "no emulated device " + std::to_string(device));
  const Limits& l = limits();
  *p = cudaDeviceProp{};
  std::snprintf(p->name, sizeof p->name, "cudanet emulated device (host fibers)");
  p->totalGlobalMem = state().memory;
  p->sharedMemPerBlock = l.shared_per_block;
  p->regsPerBlock = 65536;
  p->warpSize = 32;
  p->maxThreadsPerBlock = l.max_threads_per_block;
  for (int d = 0; d < 3; ++d) p->maxThreadsDim[d] = l.max_block[d], p->maxGridSize[d] = l.max_grid[d];
  p->clockRate = 1980000;  // an H100 SXM's figures, so derived numbers look plausible
  p->major = 9;
  p->minor = 0;
  p->multiProcessorCount = state().sms;
  p->memoryClockRate = 2619000;
  p->memoryBusWidth = 5120;
  p->l2CacheSize = 50 << 20;
  p->maxThreadsPerMultiProcessor = 2048;
  p->sharedMemPerMultiprocessor = 228 * 1024;
  p->sharedMemPerBlockOptin = 227 * 1024;
  p->regsPerMultiprocessor = 65536;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  cudaDeviceProp p;
  if (cudaError_t e = cudaGetDeviceProperties(&p, device)) return e;
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: *value = p.maxThreadsPerBlock; break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = static_cast<int>(p.sharedMemPerBlock); break;
    case cudaDevAttrWarpSize: *value = p.warpSize; break;
    case cudaDevAttrMultiProcessorCount: *value = p.multiProcessorCount; break;
    case cudaDevAttrComputeCapabilityMajor: *value = p.major; break;
    case cudaDevAttrComputeCapabilityMinor: *value = p.minor; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = static_cast<int>(p.sharedMemPerBlockOptin); break;
    default: return fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: attribute not emulated");
  }
  return cudaSuccess;
}

cudaError_t cudaDeviceReset() { return cudaSuccess; }
cudaError_t cudaDriverGetVersion(int* v) {
  *v = 13000;
  return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = 13000;
  return cudaSuccess;
}

// ---------------------------------------------------------------- memory information

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  *total_bytes = s.memory;
  *free_bytes = s.memory - s.used[t_device];
  return cudaSuccess;
}
cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int device) {
  if (!valid_device(device)) return fail(cudaErrorInvalidDevice, "no emulated device " + std::to_string(device));
  *pool = &state().pools[device];
  return cudaSuccess;
}
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t, cudaMemPoolAttr, void*) { return cudaSuccess; }
cudaError_t cudaMemPoolTrimTo(cudaMemPool_t, size_t) { return cudaSuccess; }
