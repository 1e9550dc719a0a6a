#pragma once
// What the distributed cases share: when they can run, and timing that every
// rank does in step. Every rank runs each case; a collective that one rank
// skips or repeats once more than another would wait for it until the
// communicator's timeout, so whatever decides the number of collectives (skip
// or run, how many timed runs, the gate's verdict) is agreed over the ranks.
#include <functional>
#include <string>
#include <vector>

#include "apps/bench/bench.h"
#include "core/device.h"
#include "dist/communicator.h"

namespace cudanet::bench {

// Why a distributed case cannot run here, or "" when it can; the same answer
// on every rank. `cuda`: it reduces CUDA tensors over NCCL on each rank's
// device (a world of one still runs every NCCL call); otherwise host tensors
// over MPI, which need a world of two or more.
std::string dist_skip_reason(const Options& o, bool cuda);

// Wall time of one call of fn() in ms: CUDA events on `dev`'s compute stream
// (the host does not wait inside fn), else the host's steady clock.
double window_ms(Device dev, const std::function<void()>& fn);

// How many timed runs every rank makes: rank 0's plan (planned_runs) from the
// time one run took it, broadcast.
int agreed_runs(Communicator& comm, double run_ms, const Options& o);

// Run i's time averaged over the ranks (nccl-tests' default report).
std::vector<double> rank_mean(Communicator& comm, const std::vector<double>& ms);

// True on every rank when `ok` holds on every rank.
inline bool all_ranks(Communicator& comm, bool ok) { return !comm.any(!ok); }

}  // namespace cudanet::bench
