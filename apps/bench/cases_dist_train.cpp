// The reference model's training step with and without data parallelism, on
// every rank at once: the step of the end-to-end cases (local), and the same
// step with what fit() adds per step under FitOptions::comm: DataParallel's
// gradient all-reduce after backward (one bucket: 93,322 floats) and the
// host all-reduce of one flag that agrees on a stop. The difference is the
// communication the step exposes; local / distributed is the scaling
// efficiency at this per-rank batch. Each rank trains on its own batches.
//
// A third variant splits that difference: the local step followed by the same
// two collectives on a one-float "gradient" (sync). Sync - local is the
// collectives' latency plus the time a rank waits for the slowest one (ranks
// whose steps take different times meet at every all-reduce); distributed -
// sync is what moving the gradient's bytes costs.
//
// The rate is the job's images/s (batch x ranks per step). Gate: after the
// warm-up steps every rank holds rank 0's parameters, bit for bit. Timing:
// windows of --e2e-steps steps, local, sync and distributed in turn, each
// after a barrier (so the local steps of the ranks also run side by side);
// wall time on the CPU, CUDA events on CUDA; run i's time is the mean over the
// ranks.
#include <algorithm>
#include <string>

#include "apps/bench/cases.h"
#include "apps/bench/dist_timing.h"
#include "apps/bench/e2e_trainer.h"
#include "apps/bench/reference_model.h"
#include "dist/data_parallel.h"

namespace cudanet::bench {

namespace {

// Every parameter equal to rank 0's, on every rank.
bool same_on_every_rank(Communicator& comm, const Module& model) {
  bool same = true;
  for (const Tensor& p : model.parameters()) {
    const Tensor q = p.clone();
    comm.broadcast_(q, 0);
    same = same && rel_err(q, p) == 0;
  }
  return all_ranks(comm, same);
}

Result run_dist_train(Result r, int batch, bool cuda, const Options& o) {
  r.note = dist_skip_reason(o, cuda);
  if (!r.note.empty()) return r;
  Communicator& comm = *o.comm;
  const int n = comm.size();
  r.world = n;
  r.work = static_cast<double>(batch) * n;
  const Device dev = cuda ? comm.local_device() : Device::cpu();

  const Dataset data = e2e_batches(batch, o, 91 + 2 * static_cast<uint64_t>(comm.rank()));
  Trainer local(dev, batch, data), dist(dev, batch, data);
  DataParallel dp(comm, *dist.model, *dist.opt);  // rank 0's weights everywhere
  const int64_t global_rows = int64_t{batch} * n;
  auto reduce = [&] {
    dp.reduce_gradients(batch, global_rows);
    comm.any(false);
  };
  const Tensor token = Tensor::zeros({1}, DType::f32, dev);
  auto sync = [&] {
    comm.all_reduce_(token);
    comm.any(false);
  };
  const int warmup = std::max(1, o.warmup);
  for (int i = 0; i < warmup; ++i) {
    local.step();
    local.step(sync);
    dist.step(reduce);
  }
  r.err = same_on_every_rank(comm, *dist.model) ? 0 : 1;
  r.tol = 0;
  if (r.err != 0) {
    r.status = Status::Wrong;
    r.note = "after " + std::to_string(warmup) + " steps the ranks' parameters differ";
    return r;
  }

  const int steps = std::max(1, o.e2e_steps);
  auto local_window = [&] {
    for (int i = 0; i < steps; ++i) local.step();
  };
  auto sync_window = [&] {
    for (int i = 0; i < steps; ++i) local.step(sync);
  };
  auto dist_window = [&] {
    for (int i = 0; i < steps; ++i) dist.step(reduce);
  };
  comm.barrier();
  const double first = window_ms(dev, dist_window);
  comm.barrier();
  const int runs = agreed_runs(comm, 2 * first + window_ms(dev, local_window), o);
  std::vector<double> local_ms, sync_ms, dist_ms;
  for (int i = 0; i < runs; ++i) {
    comm.barrier();
    local_ms.push_back(window_ms(dev, local_window) / steps);
    comm.barrier();
    sync_ms.push_back(window_ms(dev, sync_window) / steps);
    comm.barrier();
    dist_ms.push_back(window_ms(dev, dist_window) / steps);
  }
  r.ms = rank_mean(comm, dist_ms);
  summarize(r);
  r.steps_per_s = 1e3 / r.median_ms;
  r.local_ms = median(rank_mean(comm, local_ms));
  r.sync_ms = median(rank_mean(comm, sync_ms));
  return r;
}

void add(int batch, bool cuda) {
  const std::string device = cuda ? "cuda" : "cpu";
  const std::string algo = cuda ? "nccl" : "mpi";
  const std::string name = "dist.train." + algo + "." + batch_label(batch);
  const std::vector<std::string> tags{"dist"};
  Case c{name, name, algo, cuda, tags, [=](const Options& o) {
           Result r;
           r.name = name, r.group = name, r.algo = algo, r.device = device, r.tags = tags;
           r.unit = Unit::Image;
           r.batch = batch;
           r.flops = batch * ref_train_flops_per_image();  // per rank
           return run_dist_train(r, batch, cuda, o);
         }};
  c.dist = true;
  add_case(std::move(c));
}

}  // namespace

void register_dist_train_cases() {
  for (bool cuda : {false, true})
    for (int batch : kRefBatches) add(batch, cuda);
}

}  // namespace cudanet::bench
