#pragma once
// cudanet-bench: the case registry, the result of one case, and the helpers
// every case uses to check its output against the CPU backend and to time it.
//
// A case is one op, one pass, one algorithm, one shape (or one end-to-end
// training configuration). Cases sharing a `group` solve the same problem with
// different algorithms, which is how "fraction of the vendor library" pairs
// a native result with the cuDNN/cuBLAS one.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/algo.h"
#include "core/tensor.h"

namespace cudanet {
class Communicator;
}

namespace cudanet::bench {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class Unit { Flop, Byte, Image };  // what Result::work counts per call
enum class Status { Ok, Wrong, Skipped, Failed };
const char* status_name(Status s);

struct Options {
  int repeats = 50;          // timed runs per case; the median is reported
  int warmup = 3;            // untimed runs first (cuDNN/cuBLAS algorithm search, pool warm-up)
  double max_seconds = 3.0;  // a case stops repeating past this (never below kMinRepeats runs)
  bool flush_l2 = true;      // CUDA: overwrite a buffer twice the L2 size before every timed run
  int e2e_steps = 20;        // training steps per timed window of the end-to-end cases
  // CPU cases: the process's CPU time (summed over threads) instead of wall
  // time. On a machine shared with other work, wall time counts the slices
  // other processes run in; CPU time does not (exact with --threads 1, while
  // with more threads it also counts OpenMP's spin-waiting).
  bool cpu_clock = false;
  // End-to-end cases: train on the first images of this MNIST-style folder
  // (pixels in [0, 1], real labels) instead of synthetic normal(0, 1) data.
  std::string data;
  // Distributed cases: the job's communicator, set when one of them is
  // selected; else (a build without MPI) why there is none.
  Communicator* comm = nullptr;
  std::string comm_unavailable;
};
constexpr int kMinRepeats = 3;

struct Result {
  std::string name, group, algo, device;
  std::vector<std::string> tags;
  Status status = Status::Skipped;
  std::string note;          // why skipped, wrong or failed; extra facts otherwise
  Unit unit = Unit::Flop;
  double work = 0;           // FLOPs, bytes or images per call (per step for e2e)
  std::vector<double> ms;    // every timed run
  double median_ms = kNaN, min_ms = kNaN;
  double rate = kNaN;        // GFLOP/s, GB/s or images/s
  double flops = 0;          // FLOPs per call, for the FP32 ceiling fraction (also for e2e)
  double err = kNaN;         // ||out - ref|| / ||ref|| against the CPU backend
  double tol = kNaN;
  double ceiling_fraction = kNaN;  // of the same run's D2D copy (bytes) or large SGEMM (FLOPs)
  double vendor_fraction = kNaN;   // this rate over the vendor's rate on the same group
  double steps_per_s = kNaN;       // e2e only
  int batch = 0;                   // e2e only
  int world = 0;                   // distributed cases: the ranks taking part
  double busbw = kNaN;             // all-reduce: GB/s, rate * 2(n-1)/n (nccl-tests' bus bandwidth)
  double local_ms = kNaN;          // dist.train: the same step without communication, same run
  double sync_ms = kNaN;           // dist.train: the local step and its collectives on one float
};

struct Case {
  std::string name;   // unique: "conv2d.fwd.native.b64.conv2", "cpu.sgemm.512"
  std::string group;  // "conv2d.fwd.b64.conv2": the same problem across algorithms
  std::string algo;   // native, cudnn, cublas, vendor, auto, cpu
  bool cuda = false;
  std::vector<std::string> tags;  // "reference": the subset tools/gpu-check.sh runs
  std::function<Result(const Options&)> run;
  // Takes part in collectives over Options::comm: every rank runs it, and only
  // it makes cudanet-bench join the job.
  bool dist = false;
};

std::vector<Case>& registry();
void add_case(Case c);

// ---- one op problem, run on the CPU and on CUDA by every algorithm ----------

// An op bound to its inputs and freshly allocated outputs: run() launches it
// (asynchronously on CUDA) and writes `outputs`.
struct Bound {
  std::function<void()> run;
  std::vector<Tensor> outputs;
};

struct OpSpec {
  std::string op, pass, shape;  // "conv2d", "fwd", "b64.conv2" (pass may be empty)
  Unit unit = Unit::Flop;
  double work = 0;              // FLOPs or bytes per call
  double tol = 1e-5;            // on the relative error, justified where the spec is made
  // Random inputs on the CPU (never zeros), the same on every call.
  std::function<std::vector<Tensor>()> inputs;
  // Allocates outputs on the inputs' device and binds the op with `algo`
  // (ignored on the CPU). May run setup work, e.g. the forward pass a backward needs.
  std::function<Bound(const std::vector<Tensor>& in, Algo algo)> bind;
};

// Registers "cpu.<op>.<pass>.<shape>" and, per CUDA algorithm,
// "<op>.<pass>.<algo>.<shape>", all in group "<op>.<pass>.<shape>".
void add_op_cases(const OpSpec& spec, const std::vector<Algo>& cuda_algos, const std::vector<std::string>& tags,
                  bool with_cpu = true);

// ---- measuring ---------------------------------------------------------------

double median(std::vector<double> v);
// ||out - ref|| / ||ref|| in double over any float dtype, out on any device.
double rel_err(const Tensor& out, const Tensor& ref);
// Host time of fn() in ms (wall, or CPU with opts.cpu_clock): warm-up, then up
// to opts.repeats runs.
std::vector<double> cpu_time(const std::function<void()>& fn, const Options& opts);
// How many timed runs fit the time budget when one takes first_ms: between
// kMinRepeats (or opts.repeats, if fewer) and opts.repeats.
int planned_runs(double first_ms, const Options& opts);
// Fills rate, median and min from ms and work.
void summarize(Result& r);
// A random tensor: normal(0, 1) from `seed`, float32 on the CPU.
Tensor random_tensor(const Shape& shape, uint64_t seed);
// Random int32 labels in [0, classes), on the CPU.
Tensor random_labels(int64_t n, int classes, uint64_t seed);

// ---- ceilings, measured in the same run ---------------------------------------

struct Ceilings {
  double fp32_gflops = kNaN;  // FLOP/s of the reference large SGEMM
  double bandwidth_gbs = kNaN;  // bytes read + written per second by a large copy
  std::string fp32_source, bandwidth_source;
};
Ceilings measure_cpu_ceilings(const Options& opts);

}  // namespace cudanet::bench
