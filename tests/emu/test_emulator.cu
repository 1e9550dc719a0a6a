// The emulated device itself (docs/emulator.md): a correct kernel gives the
// hand-computed answer in every thread order, and each checker fires on a small
// kernel that is wrong in exactly its way. Built only with CUDANET_CUDA_EMULATION
// (these kernels are wrong on purpose; on a GPU they would hang or corrupt).
#include <catch2/catch.hpp>
#include <cuda_runtime.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "cudaemu/control.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace {

constexpr unsigned kFull = 0xffffffffu;

// ---------------------------------------------------------------- kernels

constexpr int kSumBlock = 256;
// in (blocks * 256) -> out (blocks): a shared-memory tree sum.
__global__ void block_sum_kernel(float* out, const float* in) {
  __shared__ float s[kSumBlock];
  s[threadIdx.x] = in[blockIdx.x * kSumBlock + threadIdx.x];
  __syncthreads();
  for (int stride = kSumBlock / 2; stride > 0; stride >>= 1) {
    if (static_cast<int>(threadIdx.x) < stride) s[threadIdx.x] += s[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = s[0];
}

// out[t] = the value thread t+offset (clamped to the block) wrote; correct
// only with the barrier.
__global__ void neighbour_kernel(int* out, int offset, bool sync) {
  __shared__ int s[64];
  s[threadIdx.x] = static_cast<int>(threadIdx.x);
  if (sync) __syncthreads();
  out[threadIdx.x] = s[::min(::max(static_cast<int>(threadIdx.x) + offset, 0), 63)];
}

__global__ void lane0_barrier_kernel(float* out) {
  float v = 1.0f;
  if (threadIdx.x % 32 == 0) __syncthreads();  // the bug: lanes 1..31 never arrive
  v += __shfl_down_sync(kFull, v, 16);
  out[threadIdx.x] = v;
}

__global__ void divergent_barrier_kernel(int* out) {
  if (threadIdx.x % 2) {
    __syncthreads();
    out[threadIdx.x] = 1;
  } else {
    __syncthreads();
    out[threadIdx.x] = 2;
  }
}

__global__ void early_exit_kernel(int* out, int live) {
  if (static_cast<int>(threadIdx.x) >= live) return;
  __shared__ int s[64];
  s[threadIdx.x] = 1;
  __syncthreads();
  out[threadIdx.x] = s[(threadIdx.x + 1) % live];
}

__global__ void narrow_mask_kernel(float* out) {
  float v = static_cast<float>(threadIdx.x);
  if (threadIdx.x < 16) v += __shfl_down_sync(0x0000ffffu, v, 8);  // lanes 8..15 read 16..23
  out[threadIdx.x] = v;
}

__global__ void exited_lane_kernel(float* out) {
  if (threadIdx.x >= 16) return;
  out[threadIdx.x] = __shfl_xor_sync(kFull, 1.0f, 1);
}

__global__ void split_shuffle_kernel(float* out) {
  float v = static_cast<float>(threadIdx.x);
  if (threadIdx.x % 2) v = __shfl_xor_sync(kFull, v, 1);
  else v = __shfl_xor_sync(kFull, v, 1);
  out[threadIdx.x] = v;
}

// out (5, 64): each collective's result for 64 threads (two warps).
__global__ void shuffle_semantics_kernel(int* out) {
  const int t = static_cast<int>(threadIdx.x);
  out[0 * 64 + t] = __shfl_down_sync(kFull, t, 3);
  out[1 * 64 + t] = __shfl_up_sync(kFull, t, 2, 16);
  out[2 * 64 + t] = __shfl_xor_sync(kFull, t, 5);
  out[3 * 64 + t] = __shfl_sync(kFull, t, 7, 8);
  out[4 * 64 + t] = static_cast<int>(__ballot_sync(kFull, t % 3 == 0));
}

__global__ void atomics_kernel(unsigned long long* count, int* biggest) {
  atomicAdd(count, 1);
  atomicMax(biggest, static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x));
}

__global__ void big_shared_kernel(float* out) {
  __shared__ float big[16 * 1024];  // 64 KiB, over the 48 KiB a block may have
  big[threadIdx.x] = 1.0f;
  out[threadIdx.x] = big[threadIdx.x];
}

__global__ void dynamic_shared_kernel(float* out, int n) {
  extern __shared__ float dyn[];
  dyn[threadIdx.x] = static_cast<float>(threadIdx.x);
  __syncthreads();
  out[threadIdx.x] = dyn[n - 1 - static_cast<int>(threadIdx.x)];
}

__global__ void scale_kernel(float* y, const float* x, const float* scale, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) y[i] = x[i] * *scale;
}

__global__ void fault_kernel(int* forbidden) {
  if (blockIdx.x == 1 && threadIdx.x == 3) forbidden[0] = 42;
}

// ---------------------------------------------------------------- helpers

template <class T>
struct DeviceBuffer {
  T* p = nullptr;
  size_t n;
  explicit DeviceBuffer(size_t count) : n(count) { REQUIRE(cudaMalloc(reinterpret_cast<void**>(&p), n * sizeof(T)) == cudaSuccess); }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void put(const std::vector<T>& v) { REQUIRE(cudaMemcpy(p, v.data(), n * sizeof(T), cudaMemcpyHostToDevice) == cudaSuccess); }
  std::vector<T> get() const {
    std::vector<T> v(n);
    REQUIRE(cudaMemcpy(v.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost) == cudaSuccess);
    return v;
  }
};

// Runs the test's launches with `o`, restoring the previous options after.
struct WithOptions {
  cudaemu::Options saved = cudaemu::options();
  explicit WithOptions(cudaemu::Options o) { cudaemu::set_options(o); }
  ~WithOptions() { cudaemu::set_options(saved); }
};
cudaemu::Options in_order(cudaemu::Order order, bool strict = true) {
  cudaemu::Options o;
  o.order = order;
  o.seed = 11;
  o.strict = strict;
  return o;
}
constexpr cudaemu::Order kOrders[] = {cudaemu::Order::Forward, cudaemu::Order::Reverse, cudaemu::Order::Shuffle};

// The launch's error and the checker's report, both cleared.
std::pair<cudaError_t, std::string> outcome() {
  const cudaError_t e = cudaGetLastError();
  std::string report = cudaemu::last_report();
  cudaemu::clear_report();
  return {e, report};
}

}  // namespace

TEST_CASE("emulator: a shared-memory tree sum is exact in every thread order", "[gpu][emulator]") {
  const int blocks = 7;
  std::vector<float> in(blocks * kSumBlock);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>((i * 37) % 101) - 50.0f;  // integers: exact
  DeviceBuffer<float> din(in.size()), dout(blocks);
  din.put(in);
  for (auto order : kOrders) {
    WithOptions w(in_order(order));
    block_sum_kernel<<<blocks, kSumBlock>>>(dout.p, din.p);
    REQUIRE(outcome().first == cudaSuccess);
    const auto out = dout.get();
    for (int b = 0; b < blocks; ++b)
      CHECK(out[b] == std::accumulate(in.begin() + b * kSumBlock, in.begin() + (b + 1) * kSumBlock, 0.0f));
  }
}

TEST_CASE("emulator: a missing __syncthreads gives a wrong result; forward order alone can miss it", "[gpu][emulator]") {
  DeviceBuffer<int> out(64);
  auto run = [&](cudaemu::Order order, int offset, bool sync) {
    WithOptions w(in_order(order));
    neighbour_kernel<<<1, 64>>>(out.p, offset, sync);
    REQUIRE(outcome().first == cudaSuccess);
    const auto v = out.get();
    for (int t = 0; t < 64; ++t)
      if (v[t] != std::clamp(t + offset, 0, 63)) return false;
    return true;
  };
  for (auto order : kOrders) {
    CHECK(run(order, +1, true));
    CHECK(run(order, -1, true));
  }
  // Reading the next thread's value: thread 0 finishes before thread 1 writes.
  CHECK_FALSE(run(cudaemu::Order::Forward, +1, false));
  // Reading the previous thread's value happens to work in forward order; the
  // reverse order shows the race.
  CHECK(run(cudaemu::Order::Forward, -1, false));
  CHECK_FALSE(run(cudaemu::Order::Reverse, -1, false));
}

TEST_CASE("emulator: a barrier not every thread reaches is reported as a deadlock", "[gpu][emulator]") {
  DeviceBuffer<float> out(64);
  WithOptions w(in_order(cudaemu::Order::Forward));  // block (0,0,0) runs first
  lane0_barrier_kernel<<<2, 64>>>(out.p);
  auto [e, report] = outcome();
  CHECK(e == cudaErrorLaunchFailure);
  CHECK_THAT(report, Catch::Contains("deadlock") && Catch::Contains("2 threads wait at test_emulator.cu") &&
                         Catch::Contains("__syncthreads") && Catch::Contains("62 threads wait") &&
                         Catch::Contains("__shfl_down_sync") && Catch::Contains("lane0_barrier_kernel") &&
                         Catch::Contains("block (0,0,0)"));
  // The error reaches the library's check with the reason, once.
  CHECK_THAT(std::string(cudaGetErrorString(e)), Catch::Contains("deadlock"));
  CHECK_THAT(std::string(cudaGetErrorString(e)), !Catch::Contains("deadlock"));
}

TEST_CASE("emulator: threads released from __syncthreads at different lines are reported", "[gpu][emulator]") {
  DeviceBuffer<int> out(64);
  divergent_barrier_kernel<<<1, 64>>>(out.p);
  auto [e, report] = outcome();
  CHECK(e == cudaErrorLaunchFailure);
  CHECK_THAT(report, Catch::Contains("__syncthreads divergence") && Catch::Contains("thread (0,0,0)") &&
                         Catch::Contains("thread (1,0,0)"));
}

TEST_CASE("emulator: strict mode reports a barrier reached after threads exited", "[gpu][emulator]") {
  DeviceBuffer<int> out(64);
  {
    WithOptions w(in_order(cudaemu::Order::Forward, false));
    early_exit_kernel<<<1, 64>>>(out.p, 48);
    REQUIRE(outcome().first == cudaSuccess);  // legal on GPUs in practice
    const auto v = out.get();
    for (int t = 0; t < 48; ++t) CHECK(v[t] == 1);
  }
  WithOptions w(in_order(cudaemu::Order::Forward, true));
  early_exit_kernel<<<1, 64>>>(out.p, 48);
  auto [e, report] = outcome();
  CHECK(e == cudaErrorLaunchFailure);
  CHECK_THAT(report, Catch::Contains("reached after 16 threads of the block exited"));
}

TEST_CASE("emulator: a shuffle reading a lane outside its mask is reported", "[gpu][emulator]") {
  DeviceBuffer<float> out(32);
  narrow_mask_kernel<<<1, 32>>>(out.p);
  auto [e, report] = outcome();
  CHECK(e == cudaErrorLaunchFailure);
  CHECK_THAT(report, Catch::Contains("reads lane 16, which is not in the mask 0xffff") &&
                         Catch::Contains("__shfl_down_sync"));
}

TEST_CASE("emulator: a shuffle waiting for an exited lane is reported", "[gpu][emulator]") {
  DeviceBuffer<float> out(32);
  exited_lane_kernel<<<1, 32>>>(out.p);
  auto [e, report] = outcome();
  CHECK(e == cudaErrorLaunchFailure);
  CHECK_THAT(report, Catch::Contains("waits for lane 16 of mask 0xffffffff, which has exited"));
}

TEST_CASE("emulator: lanes meeting at different shuffles are reported", "[gpu][emulator]") {
  DeviceBuffer<float> out(32);
  split_shuffle_kernel<<<1, 32>>>(out.p);
  auto [e, report] = outcome();
  CHECK(e == cudaErrorLaunchFailure);
  CHECK_THAT(report, Catch::Contains("warp collective mismatch"));
}

TEST_CASE("emulator: warp collectives follow CUDA's lane arithmetic", "[gpu][emulator]") {
  DeviceBuffer<int> out(5 * 64);
  shuffle_semantics_kernel<<<1, 64>>>(out.p);
  REQUIRE(outcome().first == cudaSuccess);
  const auto v = out.get();
  for (int t = 0; t < 64; ++t) {
    const int lane = t % 32, base = t - lane;
    INFO("thread " << t);
    CHECK(v[0 * 64 + t] == (lane + 3 < 32 ? t + 3 : t));
    CHECK(v[1 * 64 + t] == (lane - 2 >= (lane & ~15) ? t - 2 : t));
    CHECK(v[2 * 64 + t] == base + (lane ^ 5));
    CHECK(v[3 * 64 + t] == base + (lane & ~7) + 7);
    unsigned ballot = 0;
    for (int l = 0; l < 32; ++l)
      if ((base + l) % 3 == 0) ballot |= 1u << l;
    CHECK(static_cast<unsigned>(v[4 * 64 + t]) == ballot);
  }
}

TEST_CASE("emulator: atomics count every thread of every block", "[gpu][emulator]") {
  DeviceBuffer<unsigned long long> count(1);
  DeviceBuffer<int> biggest(1);
  count.put({5});
  biggest.put({-1});
  atomics_kernel<<<9, 96>>>(count.p, biggest.p);
  REQUIRE(outcome().first == cudaSuccess);
  CHECK(count.get()[0] == 5 + 9 * 96);
  CHECK(biggest.get()[0] == 9 * 96 - 1);
}

TEST_CASE("emulator: launches over the device limits are refused with the limit named", "[gpu][emulator]") {
  DeviceBuffer<float> out(1024);
  block_sum_kernel<<<1, 2048>>>(out.p, out.p);
  auto [e1, r1] = outcome();
  CHECK(e1 == cudaErrorInvalidConfiguration);
  CHECK_THAT(r1, Catch::Contains("block dimension x = 2048 outside [1, 1024]"));
  block_sum_kernel<<<1, dim3(32, 32, 2)>>>(out.p, out.p);
  auto [e2, r2] = outcome();
  CHECK(e2 == cudaErrorInvalidConfiguration);
  CHECK_THAT(r2, Catch::Contains("2048 threads per block"));
  dynamic_shared_kernel<<<1, 32, 64 * 1024>>>(out.p, 32);
  auto [e3, r3] = outcome();
  CHECK(e3 == cudaErrorInvalidValue);
  CHECK_THAT(r3, Catch::Contains("65536 bytes of dynamic shared memory"));
  big_shared_kernel<<<1, 32>>>(out.p);
  auto [e4, r4] = outcome();
  CHECK(e4 == cudaErrorInvalidValue);
  CHECK_THAT(r4, Catch::Contains("65536 bytes of static") && Catch::Contains("big_shared_kernel"));
}

TEST_CASE("emulator: dynamic shared memory is per block and sized by the launch", "[gpu][emulator]") {
  DeviceBuffer<float> out(128);
  dynamic_shared_kernel<<<1, 128, 128 * sizeof(float)>>>(out.p, 128);
  REQUIRE(outcome().first == cudaSuccess);
  const auto v = out.get();
  for (int t = 0; t < 128; ++t) CHECK(v[t] == static_cast<float>(127 - t));
}

TEST_CASE("emulator: a captured graph replays with the device memory of the moment", "[gpu][emulator]") {
  const int n = 1000;
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) x[i] = 0.25f * static_cast<float>(i % 17) - 1.5f;
  DeviceBuffer<float> dx(n), dy(n), ds(1);
  dx.put(x);
  dy.put(std::vector<float>(n, 7.0f));
  ds.put({2.0f});
  cudaStream_t s;
  REQUIRE(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) == cudaSuccess);
  REQUIRE(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal) == cudaSuccess);
  REQUIRE(cudaMemsetAsync(dy.p, 0, n * sizeof(float), s) == cudaSuccess);
  scale_kernel<<<3, 128, 0, s>>>(dy.p, dx.p, ds.p, n);
  cudaGraph_t g;
  REQUIRE(cudaStreamEndCapture(s, &g) == cudaSuccess);
  CHECK(dy.get()[1] == 7.0f);  // captured, not run
  size_t nodes = 0;
  REQUIRE(cudaGraphGetNodes(g, nullptr, &nodes) == cudaSuccess);
  CHECK(nodes == 2);
  cudaGraphExec_t exec;
  REQUIRE(cudaGraphInstantiate(&exec, g, 0) == cudaSuccess);
  for (float scale : {2.0f, -3.0f}) {
    ds.put({scale});  // the captured kernel reads the scale from device memory
    REQUIRE(cudaGraphLaunch(exec, s) == cudaSuccess);
    REQUIRE(cudaStreamSynchronize(s) == cudaSuccess);
    const auto y = dy.get();
    for (int i = 0; i < n; ++i) CHECK(y[i] == x[i] * scale);
  }
  // A host sync inside a capture is refused and spoils the capture, as in CUDA.
  REQUIRE(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal) == cudaSuccess);
  CHECK(cudaStreamSynchronize(s) == cudaErrorStreamCaptureUnsupported);
  cudaGraph_t spoiled;
  CHECK(cudaStreamEndCapture(s, &spoiled) == cudaErrorStreamCaptureInvalidated);
  CHECK(spoiled == nullptr);
  cudaGetLastError();
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(g);
  cudaStreamDestroy(s);
}

TEST_CASE("emulator: copies and frees of memory that is not device memory are refused", "[gpu][emulator]") {
  std::vector<float> a(4, 1.0f), b(4, 2.0f);
  CHECK(cudaMemcpy(a.data(), b.data(), 16, cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
  CHECK_THAT(cudaemu::last_report(), Catch::Contains("destination") && Catch::Contains("not inside a live device"));
  DeviceBuffer<float> d(4);
  CHECK(cudaMemcpy(a.data(), d.p, 32, cudaMemcpyDeviceToHost) == cudaErrorInvalidValue);  // 8 floats from 4
  void* p = nullptr;
  REQUIRE(cudaMalloc(&p, 64) == cudaSuccess);
  REQUIRE(cudaFree(p) == cudaSuccess);
  CHECK(cudaFree(p) == cudaErrorInvalidValue);
  CHECK_THAT(cudaemu::last_report(), Catch::Contains("freed twice"));
  size_t free_b = 0, total_b = 0;
  REQUIRE(cudaMemGetInfo(&free_b, &total_b) == cudaSuccess);
  CHECK(cudaMalloc(&p, total_b + 1) == cudaErrorMemoryAllocation);
  cudaGetLastError();
  cudaemu::clear_report();
}

TEST_CASE("emulator: a fault names the kernel, the block and the thread", "[gpu][emulator]") {
  int pipe_fd[2];
  REQUIRE(pipe(pipe_fd) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(pipe_fd[1], STDERR_FILENO);
    close(pipe_fd[0]);
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_set_report_path("stderr");  // the expected report goes to the pipe, not a report file
#endif
    void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fault_kernel<<<2, 8>>>(static_cast<int*>(page));
    _exit(0);
  }
  close(pipe_fd[1]);
  std::string err;
  char buf[4096];
  for (ssize_t k; (k = read(pipe_fd[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<size_t>(k));
  close(pipe_fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK_FALSE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK_THAT(err, Catch::Contains("kernel fault_kernel") && Catch::Contains("block (1,0,0), thread (3,0,0)"));
}
