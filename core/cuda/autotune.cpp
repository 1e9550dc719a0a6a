#include "core/cuda/autotune.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

#include "core/cuda/context.h"
#include "core/device.h"

namespace cudanet::cuda {

namespace {
constexpr int kAutotuneRepeats = 5;
std::mutex g_mutex;
std::map<std::string, Algo> g_picks;

// A CUDA event destroyed on every path out of autotune(), exceptions included.
struct Event {
  cudaEvent_t e = nullptr;
  Event() { CUDANET_CUDA_CHECK(cudaEventCreate(&e)); }
  ~Event() { cudaEventDestroy(e); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

float time_once(Context& c, const std::function<void(Algo)>& run, Algo a, cudaEvent_t start, cudaEvent_t stop) {
  CUDANET_CUDA_CHECK(cudaEventRecord(start, c.stream));
  run(a);
  CUDANET_CUDA_CHECK(cudaEventRecord(stop, c.stream));
  CUDANET_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  CUDANET_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  return ms;
}
}  // namespace

Algo autotune(int device, const std::string& key, std::initializer_list<Algo> candidates,
              const std::function<void(Algo)>& run) {
  const std::string full_key = "cuda:" + std::to_string(device) + " " + key;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_picks.find(full_key);
    if (it != g_picks.end()) return it->second;
  }
  // Without the vendor libraries (the emulated device) only Native competes,
  // and a lone candidate needs no timing.
  std::vector<Algo> usable;
  for (Algo a : candidates)
    if (!cuda_emulated() || a == Algo::Native) usable.push_back(a);
  if (usable.size() == 1) {
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_picks[full_key] = usable.front();
  }
  Context& c = context(device);
  const Event start, stop;
  Algo best = usable.front();
  float best_ms = 1e30f;
  for (Algo a : usable) {
    try {
      run(a);  // warm-up: handle creation, cuDNN plan search, caches
      std::vector<float> ms;
      for (int r = 0; r < kAutotuneRepeats; ++r) ms.push_back(time_once(c, run, a, start.e, stop.e));
      std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
      if (ms[ms.size() / 2] < best_ms) best_ms = ms[ms.size() / 2], best = a;
    } catch (const Error&) {
      // This implementation does not support the shape; the others compete.
    }
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  g_picks[full_key] = best;
  return best;
}

}  // namespace cudanet::cuda
