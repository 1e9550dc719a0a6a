// All-reduce bandwidth as nccl-tests defines it, through Communicator: the
// sum of a float32 tensor over the ranks, in place, over MPI for host tensors
// (dist.allreduce.mpi.*) and NCCL for CUDA tensors (dist.allreduce.nccl.*).
// Sizes from latency-bound to bandwidth-bound, with the reference model's
// gradient (93,322 floats: what data-parallel training reduces every step).
//
//   algbw = bytes / time                 (the rate column, GB/s)
//   busbw = algbw * 2(n-1)/n             (n ranks; a ring all-reduce moves
//                                         2(n-1)/n of the bytes over each link)
//
// Gate: every rank reduces (rank + 1) times the same integers in [-100, 100],
// which float32 sums exactly: the result must equal n(n+1)/2 times them, bit
// for bit. Timing: --warmup all-reduces, then windows of kOpsPerWindow back to
// back (as nccl-tests' iterations), each after a barrier, its time over the ops;
// run i's time is the mean over the ranks, the median over runs is reported.
#include <algorithm>
#include <random>
#include <string>

#include "apps/bench/cases.h"
#include "apps/bench/dist_timing.h"
#include "apps/bench/reference_model.h"

namespace cudanet::bench {

namespace {

constexpr int kOpsPerWindow = 20;  // nccl-tests' default -n

struct Size {
  const char* label;
  int64_t floats;
};
// 4 KiB: latency; 373 KB: the reference model's gradient; 64 MiB: bandwidth.
const Size kSizes[] = {{"4KiB", 1 << 10},
                       {"64KiB", 1 << 14},
                       {"373KB", ref_parameters()},
                       {"4MiB", 1 << 20},
                       {"64MiB", 1 << 24}};

Tensor integers(int64_t n, float scale) {
  std::mt19937 rng(77);
  std::uniform_int_distribution<int> pick(-100, 100);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = scale * static_cast<float>(pick(rng));
  return Tensor::from_vector(v, Shape{n});
}

Result run_allreduce(Result r, const Size& size, bool cuda, const Options& o) {
  r.note = dist_skip_reason(o, cuda);
  if (!r.note.empty()) return r;
  Communicator& comm = *o.comm;
  const int n = comm.size();
  r.world = n;
  const Device dev = cuda ? comm.local_device() : Device::cpu();

  Tensor t = integers(size.floats, static_cast<float>(comm.rank() + 1)).to(dev);
  comm.all_reduce_(t);
  r.err = rel_err(t, integers(size.floats, n * (n + 1) / 2.0f));
  r.tol = 0;
  if (!all_ranks(comm, r.err == 0)) {
    r.status = Status::Wrong;
    r.note = "the sum differs from the exact one on " + std::string(r.err == 0 ? "another rank" : "this rank");
    return r;
  }

  // Zeros stay zeros: every element is still moved and added, and no value overflows.
  const Tensor buf = Tensor::zeros({size.floats}, DType::f32, dev);
  auto window = [&] {
    for (int i = 0; i < kOpsPerWindow; ++i) comm.all_reduce_(buf);
  };
  // Warm-up by operations, as nccl-tests (a window of 64 MiB takes seconds on a CPU).
  for (int i = 0; i < std::max(1, o.warmup); ++i) comm.all_reduce_(buf);
  comm.barrier();
  const int runs = agreed_runs(comm, window_ms(dev, window), o);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    comm.barrier();
    ms.push_back(window_ms(dev, window) / kOpsPerWindow);
  }
  r.ms = rank_mean(comm, ms);
  summarize(r);
  if (n > 1) r.busbw = r.rate * 2.0 * (n - 1) / n;
  else r.note = "a world of one: NCCL's local pass only, no bus bandwidth (mpirun -np 2 or more)";
  return r;
}

void add(const Size& size, bool cuda) {
  const std::string device = cuda ? "cuda" : "cpu", algo = cuda ? "nccl" : "mpi";
  // Named by transport, as other cases by algorithm; "cpu." stays the CPU backend's.
  const std::string name = "dist.allreduce." + algo + "." + size.label;
  const std::vector<std::string> tags{"dist"};
  Case c{name, name, algo, cuda, tags, [=](const Options& o) {
           Result r;
           r.name = name, r.group = name, r.algo = algo, r.device = device, r.tags = tags;
           r.unit = Unit::Byte;
           r.work = 4.0 * size.floats;
           return run_allreduce(r, size, cuda, o);
         }};
  c.dist = true;
  add_case(std::move(c));
}

}  // namespace

void register_allreduce_cases() {
  for (bool cuda : {false, true})
    for (const Size& s : kSizes) add(s, cuda);
}

}  // namespace cudanet::bench
