#pragma once
// The CUDA device dialect on the host: what a .cu file needs to compile as C++
// once emu/tools/rewrite_launches.cpp has turned its `k<<<...>>>(...)` launches
// into cudaemu::launcher calls and its `__shared__` declarations into statics.
//
// A block's threads are fibers (emu/src/scheduler.cpp) on one host thread, and
// one grid runs at a time, so the built-ins are plain globals the scheduler sets
// before it resumes a thread, and atomics need no hardware atomics.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <source_location>
#include <tuple>
#include <type_traits>
#include <utility>

typedef struct CUstream_st* cudaStream_t;

// ---- qualifiers ---------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __constant__
#define __managed__
#define __forceinline__ inline
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

// ---- vector types, with CUDA's alignments --------------------------------------
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};
#define CUDAEMU_VEC2(T, N, A) \
  struct __align__(A) N##2 { T x, y; }; \
  inline N##2 make_##N##2(T x, T y) { return {x, y}; }
#define CUDAEMU_VEC4(T, N, A) \
  struct __align__(A) N##4 { T x, y, z, w; }; \
  inline N##4 make_##N##4(T x, T y, T z, T w) { return {x, y, z, w}; }
CUDAEMU_VEC2(float, float, 8)
CUDAEMU_VEC4(float, float, 16)
CUDAEMU_VEC2(double, double, 16)
CUDAEMU_VEC4(double, double, 16)
CUDAEMU_VEC2(int, int, 8)
CUDAEMU_VEC4(int, int, 16)
CUDAEMU_VEC2(unsigned, uint, 8)
CUDAEMU_VEC4(unsigned, uint, 16)
#undef CUDAEMU_VEC2
#undef CUDAEMU_VEC4

// ---- built-ins: set by the scheduler for the thread it is about to resume -----
inline uint3 threadIdx{};
inline uint3 blockIdx{};
inline dim3 blockDim{};
inline dim3 gridDim{};
constexpr int warpSize = 32;

// ---- math CUDA adds to the global namespace --------------------------------------
#define CUDAEMU_MINMAX(T)                                \
  inline T max(T a, T b) { return a < b ? b : a; }       \
  inline T min(T a, T b) { return b < a ? b : a; }
CUDAEMU_MINMAX(int)
CUDAEMU_MINMAX(unsigned)
CUDAEMU_MINMAX(long)
CUDAEMU_MINMAX(unsigned long)
CUDAEMU_MINMAX(long long)
CUDAEMU_MINMAX(unsigned long long)
#undef CUDAEMU_MINMAX
inline float max(float a, float b) { return std::fmax(a, b); }
inline float min(float a, float b) { return std::fmin(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
inline int __float_as_int(float x) { int i; std::memcpy(&i, &x, 4); return i; }
inline float __int_as_float(int i) { float x; std::memcpy(&x, &i, 4); return x; }
inline unsigned __float_as_uint(float x) { unsigned i; std::memcpy(&i, &x, 4); return i; }
inline float __uint_as_float(unsigned i) { float x; std::memcpy(&x, &i, 4); return x; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned>(x)); }
inline int __ffs(int x) { return __builtin_ffs(x); }
template <class T>
inline T __ldg(const T* p) { return *p; }

// ---- atomics: one grid at a time and cooperative threads make these exact -------
// The value's type follows the pointer's, as CUDA's overloads convert it.
namespace cudaemu {
template <class T>
using AtomicValue = std::type_identity_t<T>;
}
template <class T>
inline T atomicAdd(T* p, cudaemu::AtomicValue<T> v) { T old = *p; *p = old + v; return old; }
template <class T>
inline T atomicSub(T* p, cudaemu::AtomicValue<T> v) { T old = *p; *p = old - v; return old; }
template <class T>
inline T atomicExch(T* p, cudaemu::AtomicValue<T> v) { T old = *p; *p = v; return old; }
template <class T>
inline T atomicMin(T* p, cudaemu::AtomicValue<T> v) { T old = *p; if (v < old) *p = v; return old; }
template <class T>
inline T atomicMax(T* p, cudaemu::AtomicValue<T> v) { T old = *p; if (old < v) *p = v; return old; }
template <class T>
inline T atomicCAS(T* p, cudaemu::AtomicValue<T> compare, cudaemu::AtomicValue<T> v) { T old = *p; if (old == compare) *p = v; return old; }
template <class T>
inline T atomicAnd(T* p, cudaemu::AtomicValue<T> v) { T old = *p; *p = old & v; return old; }
template <class T>
inline T atomicOr(T* p, cudaemu::AtomicValue<T> v) { T old = *p; *p = old | v; return old; }
inline void __threadfence() {}
inline void __threadfence_block() {}

// ---- barriers and warp collectives: the scheduler's switch points -----------------
namespace cudaemu {
using Site = std::source_location;
enum class Collective : unsigned char { Shfl, ShflUp, ShflDown, ShflXor, Ballot, Any, All, SyncWarp };
enum class BarrierKind : unsigned char { Plain, Count, And, Or };
// Blocks the calling thread until the block (or the mask's lanes) arrive; the
// checks (deadlock, divergent sites, masks) run there.
int barrier(BarrierKind kind, int predicate, const Site& site);
uint64_t collective(Collective op, unsigned mask, uint64_t value, int operand, int width, const Site& site);
unsigned active_mask();

template <class T>
T shuffle(Collective op, unsigned mask, T v, int operand, int width, const Site& site) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "warp shuffles move at most 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  bits = collective(op, mask, bits, operand, width, site);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

// A __shared__ variable is a function-local static (one grid runs at a time);
// each block sees it filled with a poison pattern on first use, so a read
// before any write is a wrong result, as it may be on a GPU.
void shared_declared(void* p, size_t bytes);
void* dynamic_shared_base();
template <class T>
T* dynamic_shared() { return static_cast<T*>(dynamic_shared_base()); }
}  // namespace cudaemu

inline void __syncthreads(const cudaemu::Site& s = cudaemu::Site::current()) {
  cudaemu::barrier(cudaemu::BarrierKind::Plain, 0, s);
}
inline int __syncthreads_count(int p, const cudaemu::Site& s = cudaemu::Site::current()) {
  return cudaemu::barrier(cudaemu::BarrierKind::Count, p, s);
}
inline int __syncthreads_and(int p, const cudaemu::Site& s = cudaemu::Site::current()) {
  return cudaemu::barrier(cudaemu::BarrierKind::And, p, s);
}
inline int __syncthreads_or(int p, const cudaemu::Site& s = cudaemu::Site::current()) {
  return cudaemu::barrier(cudaemu::BarrierKind::Or, p, s);
}
inline void __syncwarp(unsigned mask = 0xffffffffu, const cudaemu::Site& s = cudaemu::Site::current()) {
  cudaemu::collective(cudaemu::Collective::SyncWarp, mask, 0, 0, warpSize, s);
}
inline unsigned __activemask() { return cudaemu::active_mask(); }
template <class T>
T __shfl_sync(unsigned mask, T v, int src, int width = warpSize, const cudaemu::Site& s = cudaemu::Site::current()) {
  return cudaemu::shuffle(cudaemu::Collective::Shfl, mask, v, src, width, s);
}
template <class T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = warpSize,
                 const cudaemu::Site& s = cudaemu::Site::current()) {
  return cudaemu::shuffle(cudaemu::Collective::ShflUp, mask, v, static_cast<int>(delta), width, s);
}
template <class T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = warpSize,
                   const cudaemu::Site& s = cudaemu::Site::current()) {
  return cudaemu::shuffle(cudaemu::Collective::ShflDown, mask, v, static_cast<int>(delta), width, s);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = warpSize,
                  const cudaemu::Site& s = cudaemu::Site::current()) {
  return cudaemu::shuffle(cudaemu::Collective::ShflXor, mask, v, lane_mask, width, s);
}
inline unsigned __ballot_sync(unsigned mask, int p, const cudaemu::Site& s = cudaemu::Site::current()) {
  return static_cast<unsigned>(cudaemu::collective(cudaemu::Collective::Ballot, mask, p != 0, 0, warpSize, s));
}
inline int __any_sync(unsigned mask, int p, const cudaemu::Site& s = cudaemu::Site::current()) {
  return static_cast<int>(cudaemu::collective(cudaemu::Collective::Any, mask, p != 0, 0, warpSize, s));
}
inline int __all_sync(unsigned mask, int p, const cudaemu::Site& s = cudaemu::Site::current()) {
  return static_cast<int>(cudaemu::collective(cudaemu::Collective::All, mask, p != 0, 0, warpSize, s));
}

// ---- launches ----------------------------------------------------------------------
namespace cudaemu {
struct LaunchSite {
  const char* kernel;
  const char* file;
  int line;
  const char* caller;  // the launching function with its template arguments
};
// Runs (or, on a capturing stream, records) `body` once per thread of the grid.
void launch(const LaunchSite& site, dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
            std::function<void()> body);

// `k<<<grid, block, smem, stream>>>(args)` becomes
// `launcher("k", file, line, caller, [=](auto&&... a) { k(a...); }, grid, block, smem, stream)(args)`:
// the arguments are copied once, as the launch does, and every thread calls
// the kernel with its own copy of the parameters; nvcc's template deduction
// is the compiler's.
template <class F>
struct Launcher {
  LaunchSite site;
  F kernel;
  dim3 grid, block;
  size_t smem;
  cudaStream_t stream;
  template <class... A>
  void operator()(A&&... args) const {
    launch(site, grid, block, smem, stream,
           [k = kernel, params = std::tuple<std::decay_t<A>...>(std::forward<A>(args)...)] { std::apply(k, params); });
  }
};
template <class F>
Launcher<F> launcher(const char* kernel, const char* file, int line, const char* caller, F f, dim3 grid, dim3 block,
                     size_t smem = 0, cudaStream_t stream = nullptr) {
  return {{kernel, file, line, caller}, f, grid, block, smem, stream};
}
}  // namespace cudaemu
