#include "core/host_allocator.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace cudanet::detail {

namespace {

constexpr size_t kAlignment = 64;            // a cache line, and enough for AVX-512 loads
constexpr size_t kCachedMin = 128 << 10;     // glibc's default mmap threshold: smaller blocks stay in its heap
constexpr size_t kCacheLimit = size_t(2) << 30;  // at most 2 GiB kept for reuse

size_t rounded(size_t bytes) {
  const size_t unit = bytes >= kCachedMin ? 4096 : kAlignment;
  return (bytes + unit - 1) / unit * unit;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // by rounded size
  size_t cached_bytes = 0;
};

// Never destroyed: tensors freed during static destruction may still return here.
Cache& cache() {
  static Cache* c = new Cache();
  return *c;
}

}  // namespace

void* host_alloc(size_t bytes) {
  const size_t size = rounded(bytes);
  if (size >= kCachedMin) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(size);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached_bytes -= size;
      return p;
    }
  }
  void* p = std::aligned_alloc(kAlignment, size);
  if (!p && size >= kCachedMin) {
    host_cache_release();  // the cache may be what stands in the way
    p = std::aligned_alloc(kAlignment, size);
  }
  return p;
}

void host_free(void* p, size_t bytes) noexcept {
  if (!p) return;
  const size_t size = rounded(bytes);
  if (size >= kCachedMin) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached_bytes + size <= kCacheLimit) {
      try {
        c.free_blocks[size].push_back(p);
        c.cached_bytes += size;
        return;
      } catch (...) {
        // No room to remember it: give it back below.
      }
    }
  }
  std::free(p);
}

void host_cache_release() noexcept {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [size, blocks] : c.free_blocks)
    for (void* p : blocks) std::free(p);
  c.free_blocks.clear();
  c.cached_bytes = 0;
}

}  // namespace cudanet::detail
