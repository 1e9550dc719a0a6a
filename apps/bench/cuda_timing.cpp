#include "apps/bench/cuda_timing.h"

#include <algorithm>
#include <cstdio>

#include "core/algo.h"
#include "core/cuda/context.h"
#include "kernels/cuda/matmul.cuh"

namespace cudanet::bench {

namespace {

cuda::Context& ctx() { return cuda::context(0); }

// Owns a pair of events per timed run; destroyed without throwing.
struct Events {
  std::vector<cudaEvent_t> start, stop;
  explicit Events(size_t n) : start(n), stop(n) {
    for (size_t i = 0; i < n; ++i) {
      CUDANET_CUDA_CHECK(cudaEventCreate(&start[i]));
      CUDANET_CUDA_CHECK(cudaEventCreate(&stop[i]));
    }
  }
  ~Events() {
    for (size_t i = 0; i < start.size(); ++i) {
      cudaEventDestroy(start[i]);
      cudaEventDestroy(stop[i]);
    }
  }
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;
};

// Twice the L2 size: writing it leaves none of a case's inputs in the cache.
struct Flush {
  Tensor buffer;
  int round = 0;
  void operator()() {
    if (!buffer.defined()) {
      const int64_t bytes = std::max<int64_t>(2LL * ctx().props.l2CacheSize, 64LL << 20);
      buffer = Tensor::empty({bytes}, DType::u8, Device::cuda(0));
    }
    CUDANET_CUDA_CHECK(cudaMemsetAsync(buffer.data_ptr(), ++round & 0xFF, buffer.nbytes(), ctx().stream));
  }
};
Flush& flush() {
  static Flush f;
  return f;
}

}  // namespace

void cuda_sync() { CUDANET_CUDA_CHECK(cudaStreamSynchronize(ctx().stream)); }

double cuda_window_ms(const std::function<void()>& fn, int device) {
  cudaStream_t s = cuda::context(device).stream;  // also makes `device` current for the events
  Events ev(1);
  CUDANET_CUDA_CHECK(cudaEventRecord(ev.start[0], s));
  fn();
  CUDANET_CUDA_CHECK(cudaEventRecord(ev.stop[0], s));
  CUDANET_CUDA_CHECK(cudaEventSynchronize(ev.stop[0]));
  float ms = 0;
  CUDANET_CUDA_CHECK(cudaEventElapsedTime(&ms, ev.start[0], ev.stop[0]));
  return ms;
}

std::vector<double> cuda_time(const std::function<void()>& fn, const Options& opts) {
  for (int i = 0; i < opts.warmup; ++i) fn();
  // One timed run sizes the repeats to the time budget, so the rest need a single sync.
  if (opts.flush_l2) flush()();
  const int n = planned_runs(cuda_window_ms(fn), opts);
  Events ev(static_cast<size_t>(n));
  cudaStream_t s = ctx().stream;
  for (int i = 0; i < n; ++i) {
    if (opts.flush_l2) flush()();
    CUDANET_CUDA_CHECK(cudaEventRecord(ev.start[i], s));
    fn();
    CUDANET_CUDA_CHECK(cudaEventRecord(ev.stop[i], s));
  }
  CUDANET_CUDA_CHECK(cudaEventSynchronize(ev.stop[n - 1]));
  std::vector<double> ms(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    float t = 0;
    CUDANET_CUDA_CHECK(cudaEventElapsedTime(&t, ev.start[i], ev.stop[i]));
    ms[i] = t;
  }
  return ms;
}

std::string cuda_card() {
  const cudaDeviceProp& p = ctx().props;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.256s, sm_%d%d, %d SMs, L2 %d MiB, %.0f GiB", p.name, p.major, p.minor,
                p.multiProcessorCount, p.l2CacheSize >> 20, p.totalGlobalMem / double(1ULL << 30));
  return buf;
}

Ceilings measure_cuda_ceilings(const Options& opts) {
  Ceilings c;
  Options o = opts;
  o.flush_l2 = false;  // both are far larger than the L2

  const int64_t bytes = 1LL << 30;
  Tensor src = Tensor::empty({bytes}, DType::u8, Device::cuda(0));
  Tensor dst = Tensor::empty({bytes}, DType::u8, Device::cuda(0));
  CUDANET_CUDA_CHECK(cudaMemsetAsync(src.data_ptr(), 1, bytes, ctx().stream));
  const double copy_ms = median(cuda_time(
      [&] {
        CUDANET_CUDA_CHECK(
            cudaMemcpyAsync(dst.data_ptr(), src.data_ptr(), bytes, cudaMemcpyDeviceToDevice, ctx().stream));
      },
      o));
  c.bandwidth_gbs = 2.0 * bytes / (copy_ms * 1e-3) / 1e9;
  c.bandwidth_source = "cudaMemcpyAsync device-to-device, 1 GiB, read + write";

  const int64_t n = 4096;
  Tensor a = random_tensor({n, n}, 1).to(Device::cuda(0));
  Tensor b = random_tensor({n, n}, 2).to(Device::cuda(0));
  Tensor y = Tensor::empty({n, n}, DType::f32, Device::cuda(0));
  MatmulParams p;
  p.m = p.n = p.k = n;
  p.algo = Algo::Cublas;
  const double gemm_ms = median(cuda_time([&] { cuda::cublas_matmul_forward(y, a, b, p); }, o));
  c.fp32_gflops = 2.0 * n * n * n / (gemm_ms * 1e-3) / 1e9;
  c.fp32_source = std::string("cuBLAS SGEMM 4096^3, TF32 ") + (allow_tf32() ? "on" : "off");
  return c;
}

}  // namespace cudanet::bench
