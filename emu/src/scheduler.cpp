// The block scheduler: a grid's blocks run one after another; each thread of a
// block is a fiber that runs until it reaches a barrier or a warp collective,
// or exits. When no thread can run, the waiting collectives whose lanes have
// all arrived complete, else the barrier releases once every live thread waits
// there, else the block is deadlocked. Each step checks what CUDA requires.
#include "scheduler.h"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <vector>

#include "cudaemu/control.h"
#include "fault.h"

namespace cudaemu {

namespace {
namespace bc = boost::context;

// ---------------------------------------------------------------- options

Options from_environment() {
  Options o;
  if (const char* s = std::getenv("CUDAEMU_ORDER")) {
    const std::string v = s;
    o.order = v == "reverse" ? Order::Reverse : v == "shuffle" ? Order::Shuffle : Order::Forward;
  }
  if (const char* s = std::getenv("CUDAEMU_SEED")) o.seed = std::strtoull(s, nullptr, 10);
  if (const char* s = std::getenv("CUDAEMU_STRICT")) o.strict = std::string(s) != "0";
  return o;
}

Options& opts() {
  static Options o = from_environment();
  return o;
}

// ---------------------------------------------------------------- fiber stacks

#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kStackBytes = 512 * 1024;  // ASan's instrumented frames are larger
#else
constexpr size_t kStackBytes = 128 * 1024;
#endif

// One stack per thread index, mapped once and reused by every block; a guard
// page below each turns a stack overflow into a fault instead of corruption.
struct Stack {
  void* base = nullptr;  // the guard page
  size_t bytes = 0;
  Stack() {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    bytes = kStackBytes + page;
    base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    mprotect(base, page, PROT_NONE);
  }
  ~Stack() { munmap(base, bytes); }
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  char* bottom() const { return static_cast<char*>(base) + (bytes - kStackBytes); }
};

struct PoolStack {
  Stack* s;
  bc::stack_context allocate() {
    bc::stack_context sc;
    sc.size = kStackBytes;
    sc.sp = s->bottom() + kStackBytes;
    return sc;
  }
  void deallocate(bc::stack_context&) noexcept {}
};

std::vector<std::unique_ptr<Stack>>& stacks() {
  static std::vector<std::unique_ptr<Stack>> s;
  return s;
}

// ---------------------------------------------------------------- block state

enum class State : unsigned char { Ready, Barrier, Collective, Done };

struct Thread {
  bc::fiber fiber;  // the thread while suspended
  bc::fiber sink;   // the scheduler while the thread runs
  State state = State::Ready;
  bool started = false;
  uint3 idx{};
  Site site;
  BarrierKind barrier_kind = BarrierKind::Plain;
  int predicate = 0, barrier_result = 0;
  Collective op = Collective::Shfl;
  unsigned mask = 0;
  int operand = 0, width = 32;
  uint64_t value = 0, result = 0;
  void* asan_fake = nullptr;
};

struct Abort {};  // unwinds a suspended thread after the block failed

struct Block {
  const LaunchSite* site = nullptr;
  const std::function<void()>* body = nullptr;
  uint3 idx{};
  size_t smem = 0;
  std::vector<Thread> threads;
  int current = -1;
  bool aborting = false;
  std::string error;
  std::vector<std::pair<void*, size_t>> shared_seen;
  size_t static_shared = 0;
  unsigned char* dynamic = nullptr;
};

Block* g_block = nullptr;
std::mutex g_grid_mutex;  // one grid at a time, process-wide
void* g_sched_fake = nullptr;
const void* g_sched_bottom = nullptr;
size_t g_sched_size = 0;

std::string where(const Site& s) { return where_file_line(s.file_name(), static_cast<int>(s.line())); }
bool same_site(const Site& a, const Site& b) {
  return a.line() == b.line() && a.column() == b.column() && std::string_view(a.file_name()) == b.file_name();
}
std::string dims(uint3 v) {
  return "(" + std::to_string(v.x) + "," + std::to_string(v.y) + "," + std::to_string(v.z) + ")";
}
const char* collective_name(Collective c) {
  switch (c) {
    case Collective::Shfl: return "__shfl_sync";
    case Collective::ShflUp: return "__shfl_up_sync";
    case Collective::ShflDown: return "__shfl_down_sync";
    case Collective::ShflXor: return "__shfl_xor_sync";
    case Collective::Ballot: return "__ballot_sync";
    case Collective::Any: return "__any_sync";
    case Collective::All: return "__all_sync";
    case Collective::SyncWarp: return "__syncwarp";
  }
  return "?";
}
std::string hex(unsigned m) {
  std::ostringstream os;
  os << "0x" << std::hex << m;
  return os.str();
}

// The first finding of a block stops it; the prefix names the block.
void fail(Block& b, const std::string& what) {
  if (!b.error.empty()) return;
  b.error = what + " (kernel " + b.site->kernel + " launched at " + where_file_line(b.site->file, b.site->line) +
            ", block " + dims(b.idx) + ")";
}
std::string thread_name(const Block& b, int i) { return "thread " + dims(b.threads[static_cast<size_t>(i)].idx); }

// ---------------------------------------------------------------- switching

Thread& current() {
  if (!g_block || g_block->current < 0) {
    std::fputs("cudaemu: a barrier or warp collective was called outside a kernel\n", stderr);
    std::abort();
  }
  return g_block->threads[static_cast<size_t>(g_block->current)];
}

// From a thread to the scheduler and back; throws Abort when the block failed.
void yield(Thread& t) {
  asan_start_switch(&t.asan_fake, g_sched_bottom, g_sched_size);
  t.sink = std::move(t.sink).resume();
  asan_finish_switch(t.asan_fake, nullptr, nullptr);
  if (g_block->aborting) throw Abort{};
}

void resume(Block& b, int i) {
  Thread& t = b.threads[static_cast<size_t>(i)];
  b.current = i;
  threadIdx = t.idx;
  set_fault_thread(t.idx);
  Stack& st = *stacks()[static_cast<size_t>(i)];
  if (!t.started) {
    t.started = true;
    t.fiber = bc::fiber(std::allocator_arg, PoolStack{&st}, [i](bc::fiber&& sink) {
      Block& blk = *g_block;
      Thread& self = blk.threads[static_cast<size_t>(i)];
      self.sink = std::move(sink);
      asan_finish_switch(nullptr, &g_sched_bottom, &g_sched_size);
      try {
        (*blk.body)();
      } catch (const Abort&) {
      } catch (const std::exception& e) {
        fail(blk, std::string("kernel code threw: ") + e.what() + ", " + thread_name(blk, i));
      }
      self.state = State::Done;
      asan_start_switch(nullptr, g_sched_bottom, g_sched_size);
      return std::move(self.sink);
    });
  }
  asan_start_switch(&g_sched_fake, st.bottom(), kStackBytes);
  t.fiber = std::move(t.fiber).resume();
  asan_finish_switch(g_sched_fake, nullptr, nullptr);
  b.current = -1;
}

// ---------------------------------------------------------------- collectives

// Completes the collectives whose lanes have all arrived; false if none could.
bool resolve_collectives(Block& b) {
  const int n = static_cast<int>(b.threads.size());
  bool any = false;
  for (int w = 0; w * 32 < n && b.error.empty(); ++w) {
    const int base = w * 32, lanes = std::min(32, n - base);
    for (int l = 0; l < lanes; ++l) {
      Thread& t = b.threads[static_cast<size_t>(base + l)];
      if (t.state != State::Collective) continue;
      const std::string who = thread_name(b, base + l) + " at " + where(t.site) + " (" + collective_name(t.op) + ")";
      if (!(t.mask >> l & 1u)) return fail(b, who + " passes mask " + hex(t.mask) + ", which excludes its own lane " +
                                                  std::to_string(l)), false;
      if (lanes < 32 && (t.mask >> lanes))
        return fail(b, who + " passes mask " + hex(t.mask) + " but the warp has only " + std::to_string(lanes) +
                           " lanes"), false;
      bool ready = true;
      for (int j = 0; j < lanes; ++j) {
        if (!(t.mask >> j & 1u)) continue;
        const Thread& o = b.threads[static_cast<size_t>(base + j)];
        if (o.state == State::Done)
          return fail(b, who + " waits for lane " + std::to_string(j) + " of mask " + hex(t.mask) +
                             ", which has exited"), false;
        if (o.state != State::Collective) {
          ready = false;
          continue;
        }
        if (o.mask != t.mask || o.op != t.op || o.width != t.width || !same_site(o.site, t.site))
          return fail(b, "warp collective mismatch: " + who + " with mask " + hex(t.mask) + ", but lane " +
                             std::to_string(j) + " is at " + where(o.site) + " (" + collective_name(o.op) +
                             ") with mask " + hex(o.mask) + " and width " + std::to_string(o.width)), false;
      }
      if (!ready) continue;
      const int width = t.width;
      if (width < 1 || width > 32 || (width & (width - 1)))
        return fail(b, who + " passes width " + std::to_string(width) + " (a power of two up to 32 expected)"), false;
      uint64_t votes = 0;
      for (int j = 0; j < lanes; ++j)
        if ((t.mask >> j & 1u) && b.threads[static_cast<size_t>(base + j)].value) votes |= 1ull << j;
      for (int j = 0; j < lanes; ++j) {
        if (!(t.mask >> j & 1u)) continue;
        Thread& me = b.threads[static_cast<size_t>(base + j)];
        const int seg = j & ~(width - 1);
        int src = j;
        switch (me.op) {
          case Collective::Shfl: src = seg + (((me.operand % width) + width) % width); break;
          case Collective::ShflUp: src = j - me.operand >= seg ? j - me.operand : j; break;
          case Collective::ShflDown: src = j + me.operand < seg + width ? j + me.operand : j; break;
          case Collective::ShflXor: src = (j ^ me.operand) < seg + width ? (j ^ me.operand) & 31 : j; break;
          case Collective::Ballot: me.result = votes; break;
          case Collective::Any: me.result = votes != 0; break;
          case Collective::All: me.result = votes == t.mask; break;
          case Collective::SyncWarp: break;
        }
        if (me.op <= Collective::ShflXor) {
          if (src >= lanes || !(t.mask >> src & 1u))
            return fail(b, "shuffle reads outside its mask: " + thread_name(b, base + j) + " (lane " +
                               std::to_string(j) + ") at " + where(me.site) + " (" + collective_name(me.op) +
                               ") reads lane " + std::to_string(src) + ", which is not in the mask " + hex(t.mask)),
                   false;
          me.result = b.threads[static_cast<size_t>(base + src)].value;
        }
      }
      for (int j = 0; j < lanes; ++j)
        if (t.mask >> j & 1u) b.threads[static_cast<size_t>(base + j)].state = State::Ready;
      any = true;
    }
  }
  return any;
}

// Releases the barrier when every live thread waits at it; false otherwise.
bool resolve_barrier(Block& b) {
  int first = -1, exited = 0, count = 0;
  for (int i = 0; i < static_cast<int>(b.threads.size()); ++i) {
    const Thread& t = b.threads[static_cast<size_t>(i)];
    if (t.state == State::Done) {
      ++exited;
      continue;
    }
    if (t.state != State::Barrier) return false;
    if (first < 0) first = i;
    const Thread& f = b.threads[static_cast<size_t>(first)];
    if (!same_site(t.site, f.site))
      return fail(b, "__syncthreads divergence: " + thread_name(b, first) + " waits at " + where(f.site) + ", " +
                         thread_name(b, i) + " at " + where(t.site)), false;
    count += t.predicate != 0;
  }
  if (first < 0) return false;
  const Thread& f = b.threads[static_cast<size_t>(first)];
  if (exited && opts().strict)
    return fail(b, "__syncthreads at " + where(f.site) + " reached after " + std::to_string(exited) +
                       " threads of the block exited (strict mode)"), false;
  const int live = static_cast<int>(b.threads.size()) - exited;
  for (Thread& t : b.threads) {
    if (t.state != State::Barrier) continue;
    t.state = State::Ready;
    switch (t.barrier_kind) {
      case BarrierKind::Plain: t.barrier_result = 0; break;
      case BarrierKind::Count: t.barrier_result = count; break;
      case BarrierKind::And: t.barrier_result = count == live; break;
      case BarrierKind::Or: t.barrier_result = count > 0; break;
    }
  }
  return true;
}

void report_deadlock(Block& b) {
  std::map<std::string, int> waiting;
  int exited = 0;
  for (const Thread& t : b.threads) {
    if (t.state == State::Done) ++exited;
    else
      ++waiting[where(t.site) + " (" +
                (t.state == State::Barrier ? std::string("__syncthreads") : collective_name(t.op)) + ")"];
  }
  std::string what = "deadlock:";
  for (const auto& [site, k] : waiting) what += " " + std::to_string(k) + " threads wait at " + site + ";";
  what += " " + std::to_string(exited) + " exited";
  fail(b, what);
}

std::vector<int> order_of(size_t n, std::mt19937_64& rng) {
  std::vector<int> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<int>(i);
  if (opts().order == Order::Reverse) std::reverse(v.begin(), v.end());
  if (opts().order == Order::Shuffle) std::shuffle(v.begin(), v.end(), rng);
  return v;
}

void run_block(Block& b, std::mt19937_64& rng) {
  for (;;) {
    for (int i : order_of(b.threads.size(), rng)) {
      if (b.threads[static_cast<size_t>(i)].state == State::Ready) resume(b, i);
      if (!b.error.empty()) break;
    }
    if (!b.error.empty()) break;
    if (std::all_of(b.threads.begin(), b.threads.end(), [](const Thread& t) { return t.state == State::Done; }))
      return;
    if (resolve_collectives(b) || (b.error.empty() && resolve_barrier(b))) continue;
    if (b.error.empty()) report_deadlock(b);
    break;
  }
  // Unwind every suspended thread so its frames are destroyed in order.
  b.aborting = true;
  for (int i = 0; i < static_cast<int>(b.threads.size()); ++i)
    if (b.threads[static_cast<size_t>(i)].started && b.threads[static_cast<size_t>(i)].state != State::Done)
      resume(b, i);
}

std::string check_config(dim3 grid, dim3 block, size_t smem) {
  const Limits& l = limits();
  const unsigned g[3] = {grid.x, grid.y, grid.z}, k[3] = {block.x, block.y, block.z};
  for (int d = 0; d < 3; ++d) {
    if (g[d] == 0 || g[d] > static_cast<unsigned>(l.max_grid[d]))
      return "grid dimension " + std::string(1, "xyz"[d]) + " = " + std::to_string(g[d]) + " outside [1, " +
             std::to_string(l.max_grid[d]) + "]";
    if (k[d] == 0 || k[d] > static_cast<unsigned>(l.max_block[d]))
      return "block dimension " + std::string(1, "xyz"[d]) + " = " + std::to_string(k[d]) + " outside [1, " +
             std::to_string(l.max_block[d]) + "]";
  }
  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  if (threads > static_cast<uint64_t>(l.max_threads_per_block))
    return std::to_string(threads) + " threads per block, over the device's " +
           std::to_string(l.max_threads_per_block);
  if (smem > l.shared_per_block)
    return std::to_string(smem) + " bytes of dynamic shared memory, over the device's " +
           std::to_string(l.shared_per_block) + " per block";
  return "";
}
}  // namespace

// ---------------------------------------------------------------- dialect entry points

Options options() { return opts(); }
void set_options(const Options& o) { opts() = o; }

int barrier(BarrierKind kind, int predicate, const Site& site) {
  Thread& t = current();
  t.state = State::Barrier;
  t.site = site;
  t.barrier_kind = kind;
  t.predicate = predicate;
  yield(t);
  return t.barrier_result;
}

uint64_t collective(Collective op, unsigned mask, uint64_t value, int operand, int width, const Site& site) {
  Thread& t = current();
  t.state = State::Collective;
  t.site = site;
  t.op = op;
  t.mask = mask;
  t.value = value;
  t.operand = operand;
  t.width = width;
  yield(t);
  return t.result;
}

unsigned active_mask() {
  const Block& b = *g_block;
  const int base = b.current & ~31, lanes = std::min<int>(32, static_cast<int>(b.threads.size()) - base);
  unsigned m = 0;
  for (int j = 0; j < lanes; ++j)
    if (b.threads[static_cast<size_t>(base + j)].state != State::Done) m |= 1u << j;
  return m;
}

void shared_declared(void* p, size_t bytes) {
  Block& b = *g_block;
  for (const auto& [q, k] : b.shared_seen)
    if (q == p) return;
  b.shared_seen.emplace_back(p, bytes);
  b.static_shared += bytes;
  if (b.static_shared + b.smem > limits().shared_per_block) {
    fail(b, "launch over the device limits: " + std::to_string(b.static_shared) + " bytes of static and " +
                std::to_string(b.smem) + " of dynamic shared memory, over the device's " +
                std::to_string(limits().shared_per_block) + " per block");
    throw Abort{};
  }
  std::memset(p, 0xff, bytes);  // NaN for floating point, -1 for integers
}

void* dynamic_shared_base() { return g_block->dynamic; }

const Limits& limits() {
  static const Limits l;
  return l;
}

cudaError_t run_grid(const LaunchSite& site, dim3 grid, dim3 block, size_t smem, const std::function<void()>& body,
                     std::string& why) {
  if (std::string bad = check_config(grid, block, smem); !bad.empty()) {
    why = "launch over the device limits: " + bad + " (kernel " + site.kernel + " launched at " +
          where_file_line(site.file, site.line) + ")";
    return smem > limits().shared_per_block ? cudaErrorInvalidValue : cudaErrorInvalidConfiguration;
  }
  std::lock_guard<std::mutex> lock(g_grid_mutex);
  const size_t n = size_t{block.x} * block.y * block.z;
  while (stacks().size() < n) stacks().push_back(std::make_unique<Stack>());
  // Exact size, so ASan sees a read past the dynamic shared memory.
  void* dyn = nullptr;
  if (smem && posix_memalign(&dyn, 16, smem) != 0) throw std::bad_alloc();
  const std::unique_ptr<void, decltype(&std::free)> dynamic(dyn, &std::free);
  std::mt19937_64 rng(opts().seed);
  gridDim = grid;
  blockDim = block;
  const uint64_t blocks = uint64_t{grid.x} * grid.y * grid.z;
  std::vector<uint64_t> block_order(blocks);
  for (uint64_t i = 0; i < blocks; ++i) block_order[i] = i;
  if (opts().order == Order::Reverse) std::reverse(block_order.begin(), block_order.end());
  if (opts().order == Order::Shuffle) std::shuffle(block_order.begin(), block_order.end(), rng);
  FaultScope fault(site);
  for (uint64_t lin : block_order) {
    Block b;
    b.site = &site;
    b.body = &body;
    b.smem = smem;
    b.dynamic = static_cast<unsigned char*>(dynamic.get());
    b.idx = {static_cast<unsigned>(lin % grid.x), static_cast<unsigned>(lin / grid.x % grid.y),
             static_cast<unsigned>(lin / (uint64_t{grid.x} * grid.y))};
    b.threads.resize(n);
    for (size_t i = 0; i < n; ++i)
      b.threads[i].idx = {static_cast<unsigned>(i % block.x), static_cast<unsigned>(i / block.x % block.y),
                          static_cast<unsigned>(i / (size_t{block.x} * block.y))};
    if (smem) std::memset(b.dynamic, 0xff, smem);
    blockIdx = b.idx;
    set_fault_block(b.idx);
    g_block = &b;
    run_block(b, rng);
    g_block = nullptr;
    if (!b.error.empty()) {
      why = b.error;
      return b.error.rfind("launch over", 0) == 0 ? cudaErrorInvalidValue : cudaErrorLaunchFailure;
    }
  }
  return cudaSuccess;
}

}  // namespace cudaemu
