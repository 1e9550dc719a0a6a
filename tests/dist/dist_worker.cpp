// The program mpirun starts for the distributed tests (tests/CMakeLists.txt
// registers `mpirun -np N cudanet_dist_worker MODE`; tests/test_distributed.cpp
// starts the fault scenarios). Every rank runs the mode; rank 0 prints what
// was compared; the exit status is 0 when every check held on every rank.
//
//   equivalence  2 ranks at batch 32 against 1 process at batch 64
//   shards       every sample once per epoch across the ranks (any world size)
//   train DIR [--fail-rank R] [--throw-at K | --hang-at K] [--timeout S] [--step-sleep-ms M]
//                trains "forever"; each rank writes DIR/rank<r>.pid after its first
//                step; rank R throws (or hangs) at global step K
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/ops.h"
#include "core/random.h"
#include "core/threads.h"
#include "dist/communicator.h"
#include "dist/data_parallel.h"
#include "io/loader.h"
#include "layers/zoo.h"
#include "optim/optimizer.h"
#include "train/fit.h"

using namespace cudanet;

namespace {

constexpr const char* kModel = "conv4x3-relu-maxpool2-flatten-dense8-relu-dense4";
const Shape kInput{1, 8, 8};

// A separable problem: the class is the brightest quadrant of an 8x8 image.
Dataset quadrant_data(int64_t n, uint64_t seed) {
  Tensor x = Tensor::empty({n, 1, 8, 8});
  Generator g(seed);
  uniform_(x, 0.0, 0.5, g);
  std::vector<int32_t> labels(static_cast<size_t>(n));
  float* px = x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    labels[i] = static_cast<int32_t>((i * 7 + seed) % 4);
    const int r0 = (labels[i] / 2) * 4, c0 = (labels[i] % 2) * 4;
    for (int r = r0; r < r0 + 4; ++r)
      for (int c = c0; c < c0 + 4; ++c) px[i * 64 + r * 8 + c] += 0.5f;
  }
  Dataset d;
  d.images = x;
  d.labels = Tensor::from_vector<int32_t>(labels, {n});
  d.num_classes = 4;
  return d;
}

// Every parameter of the model (and buffer, when asked), in order, as one float64 vector.
std::vector<double> flat_params(const Module& m, bool with_buffers = false) {
  std::vector<double> out;
  NamedTensors all = m.named_parameters();
  if (with_buffers)
    for (auto& b : m.named_buffers()) all.push_back(b);
  for (const auto& [name, t] : all)
    for (double v : cast(t.to(Device::cpu()), DType::f64).to_vector<double>()) out.push_back(v);
  return out;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

std::unique_ptr<Optimizer> optimizer(const std::string& name, const std::vector<Tensor>& params) {
  OptimizerOptions oo;
  if (name == "sgd") oo.lr = 0.1, oo.momentum = 0.9;
  return make_optimizer(name, params, oo);
}

// Collects failed checks; the run goes on, so that every rank takes part in
// every collective, and the verdict is agreed at the end.
struct Checks {
  int failed = 0;
  void expect(bool ok, const std::string& what) {
    if (ok) return;
    ++failed;
    std::fprintf(stderr, "CHECK FAILED: %s\n", what.c_str());
  }
};

struct Trained {
  std::vector<double> params;
  std::vector<EpochStats> history;
  Metrics val;
};

Trained train_once(const std::string& opt_name, const Dataset& train, const Dataset& val, int batch,
                   Communicator* comm, uint64_t init_seed) {
  Generator g(init_seed);
  auto model = build_model(kModel, kInput, g);
  auto opt = optimizer(opt_name, model->parameters());
  FitOptions fo;
  fo.epochs = 3;
  fo.batch_size = batch;
  fo.seed = 5;
  fo.comm = comm;
  Trained t;
  t.history = fit(*model, *opt, cross_entropy_loss(), train, val, fo);
  t.params = flat_params(*model);
  t.val = evaluate(*model, cross_entropy_loss(), val, batch, comm);
  return t;
}

// fit()'s step written out over DataParallel with buckets of `bucket_bytes`.
std::vector<double> train_by_hand(const std::string& opt_name, const Dataset& train, int batch, Communicator& comm,
                                  uint64_t init_seed, size_t bucket_bytes, size_t& buckets) {
  Generator g(init_seed);
  auto model = build_model(kModel, kInput, g);
  auto opt = optimizer(opt_name, model->parameters());
  DataParallel dp(comm, *model, *opt, bucket_bytes);
  buckets = dp.num_buckets();
  LoaderOptions lo;
  lo.batch_size = batch;
  lo.seed = 5;
  lo.rank = comm.rank();
  lo.world = comm.size();
  DataLoader loader(train, lo);
  auto loss_fn = cross_entropy_loss();
  for (int epoch = 0; epoch < 3; ++epoch) {
    loader.start_epoch(epoch);
    Batch b;
    while (loader.next(b)) {
      opt->zero_grad();
      if (b.y.size(0) > 0) loss_fn((*model)(b.x), b.y).backward();
      dp.reduce_gradients(b.y.size(0), b.global_rows);
      opt->step();
    }
  }
  return flat_params(*model);
}

// Whether every rank holds rank 0's values, bit for bit.
bool same_on_every_rank(Communicator& comm, const std::vector<double>& mine) {
  Tensor t = Tensor::from_vector<double>(mine, {static_cast<int64_t>(mine.size())});
  comm.broadcast_(t, 0);
  const bool same = max_abs_diff(mine, t.to_vector<double>()) == 0;
  return !comm.any(!same);
}

int equivalence(Communicator& comm) {
  Checks c;
  if (comm.size() != 2) {
    std::fprintf(stderr, "equivalence: run with mpirun -np 2 (this is a world of %d)\n", comm.size());
    return 2;
  }
  const bool root = comm.rank() == 0;
  // The parameters of the two runs differ only by the order of float32 sums.
  // A gradient element is a mean over the 64 rows of a global batch: one
  // process sums 64 per-row terms, two ranks sum 32 each and add the halves
  // (weighted by 32/64, exact; 32/40 and 8/40 in the last batch: one more
  // rounding). A float32 sum of n terms errs by at most (n - 1) u sum|terms|,
  // u = 2^-24, so the two gradients differ by at most about 2 * 63 u S =
  // 7.5e-6 S, S the mean |per-row gradient| (below 1 here: softmax minus
  // one-hot times activations of inputs in [0, 1]). SGD with lr 0.1 and
  // momentum 0.9 passes a gradient difference to the parameters with a gain of
  // at most lr / (1 - 0.9) = 1 per step, over 12 steps (3 epochs of 4): at
  // most 12 * 7.5e-6 = 9e-5. Adam's update m / (sqrt(v) + eps) keeps a
  // relative gradient difference relative wherever |g| >> eps (1e-7), as here.
  // Measured: about 6e-8, a few float32 ulps.
  const double tolerance = 1e-4;
  const Dataset val = quadrant_data(70, 9);  // global eval batches of 64: the last has 6 rows, all on rank 0
  // 232 = 3 * 64 + 40: the last global batch splits 32 + 8; 212 = 3 * 64 + 20:
  // rank 1 has no rows of it and still joins the all-reduce.
  for (int64_t n : {232, 212}) {
    const Dataset train = quadrant_data(n, 3);
    for (const std::string opt : {"sgd", "adam"}) {
      // Rank 1 starts from other weights: the broadcast from rank 0 must fix that.
      Trained two = train_once(opt, train, val, 32, &comm, comm.rank() == 0 ? 11 : 12);
      const bool ranks_equal = same_on_every_rank(comm, two.params);
      c.expect(ranks_equal, opt + ": the ranks' parameters differ");
      if (root) {
        Trained one = train_once(opt, train, val, 64, nullptr, 11);
        const double diff = max_abs_diff(two.params, one.params);
        double loss_diff = 0, acc_diff = 0;
        for (size_t e = 0; e < one.history.size() && e < two.history.size(); ++e) {
          loss_diff = std::max({loss_diff, std::abs(two.history[e].loss - one.history[e].loss),
                                std::abs(two.history[e].val_loss - one.history[e].val_loss)});
          acc_diff = std::max({acc_diff, std::abs(two.history[e].accuracy - one.history[e].accuracy),
                               std::abs(two.history[e].val_accuracy - one.history[e].val_accuracy)});
        }
        std::printf("%s, %lld samples (last global batch %lld): max |param diff| 2 ranks x 32 vs 1 process x 64 = "
                    "%.3g (tolerance %.0e); ranks bitwise equal: %s; epoch loss diff %.3g, accuracy diff %.3g\n",
                    opt.c_str(), static_cast<long long>(n), static_cast<long long>(n % 64), diff, tolerance,
                    ranks_equal ? "yes" : "no", loss_diff, acc_diff);
        c.expect(diff <= tolerance, opt + ": parameters differ from one process by " + std::to_string(diff));
        c.expect(one.history.size() == 3 && two.history.size() == 3, opt + ": not 3 epochs");
        // Losses are means of values near 1 summed in another order; accuracy
        // counts agree unless a logit pair sits within rounding of a tie.
        c.expect(loss_diff <= 1e-5, opt + ": epoch losses differ by " + std::to_string(loss_diff));
        c.expect(acc_diff <= 1.0 / 70, opt + ": accuracies differ by " + std::to_string(acc_diff));
        c.expect(two.val.samples == 70, "evaluate over 2 ranks counted " + std::to_string(two.val.samples));
        c.expect(std::abs(two.val.loss - one.val.loss) <= 1e-5 && std::abs(two.val.accuracy - one.val.accuracy) <= 1.0 / 70,
                 opt + ": evaluate over 2 ranks differs from 1 process");
      }
    }
    // fit's step by hand with one bucket per parameter (64-byte buckets).
    size_t buckets = 0;
    const std::vector<double> by_hand = train_by_hand("sgd", train, 32, comm, comm.rank() == 0 ? 11 : 12, 64, buckets);
    c.expect(same_on_every_rank(comm, by_hand), "bucketed: the ranks' parameters differ");
    if (root) {
      Trained one = train_once("sgd", train, val, 64, nullptr, 11);
      const double diff = max_abs_diff(by_hand, one.params);
      std::printf("sgd in %zu buckets, %lld samples: max |param diff| vs 1 process = %.3g (tolerance %.0e)\n", buckets,
                  static_cast<long long>(n), diff, tolerance);
      c.expect(buckets == 6, "expected one bucket per parameter, got " + std::to_string(buckets));
      c.expect(diff <= tolerance, "bucketed sgd differs from one process by " + std::to_string(diff));
    }
  }
  // Batch norm keeps per-rank statistics while training; at the epoch's end
  // every rank holds rank 0's, so the ranks evaluate and keep one model.
  {
    Generator g(comm.rank() == 0 ? 11 : 12);
    auto model = build_model("conv4x3-bn-relu-maxpool2-flatten-dense4", kInput, g);
    auto opt = optimizer("sgd", model->parameters());
    FitOptions fo;
    fo.epochs = 1;
    fo.batch_size = 32;
    fo.comm = &comm;
    fit(*model, *opt, cross_entropy_loss(), quadrant_data(232, 3), val, fo);
    const bool same = same_on_every_rank(comm, flat_params(*model, true));
    c.expect(same, "batch norm: the ranks' parameters or running statistics differ after an epoch");
    if (root) std::printf("batch norm: every rank holds rank 0's running statistics after an epoch: %s\n", same ? "yes" : "no");
  }
  return comm.any(c.failed > 0) ? 1 : 0;
}

int shards(Communicator& comm) {
  Checks c;
  const int world = comm.size(), rank = comm.rank();
  struct Case {
    int64_t n, batch;
    bool drop_last;
  };
  // Uneven sizes, a last global batch that leaves some ranks empty, a dataset
  // smaller than one global batch, and a dropped partial batch.
  for (const Case k : {Case{232, 32, false}, Case{212, 32, false}, Case{7, 4, false}, Case{3, 4, false},
                       Case{100, 8, true}}) {
    Dataset d;
    d.images = Tensor::zeros({k.n, 1, 1, 1});
    std::vector<int32_t> ids(static_cast<size_t>(k.n));
    for (int64_t i = 0; i < k.n; ++i) ids[i] = static_cast<int32_t>(i);
    d.labels = Tensor::from_vector<int32_t>(ids, {k.n});
    LoaderOptions lo;
    lo.batch_size = k.batch;
    lo.seed = 3;
    lo.drop_last = k.drop_last;
    lo.rank = rank;
    lo.world = world;
    DataLoader loader(d, lo);
    const int64_t global = k.batch * world;
    for (int epoch = 0; epoch < 3; ++epoch) {
      Tensor seen = Tensor::zeros({k.n}, DType::i32);
      int32_t* s = seen.data<int32_t>();
      const std::vector<int32_t> perm = epoch_permutation(k.n, 3, epoch);
      loader.start_epoch(epoch);
      Batch b;
      int64_t batch = 0;
      while (loader.next(b)) {
        const std::vector<int32_t> y = b.y.to_vector<int32_t>();
        for (size_t i = 0; i < y.size(); ++i) {
          ++s[y[i]];
          const int64_t at = batch * global + rank * k.batch + static_cast<int64_t>(i);
          c.expect(at < k.n && perm[at] == y[i], "rank " + std::to_string(rank) + " batch " + std::to_string(batch) +
                                                     " row " + std::to_string(i) + " is not position " +
                                                     std::to_string(at) + " of the permutation");
        }
        c.expect(b.global_rows == std::min(global, k.n - batch * global), "global rows of batch " + std::to_string(batch));
        ++batch;
      }
      c.expect(batch == loader.num_batches(), "batch count");
      comm.all_reduce_(seen);
      const int64_t kept = k.drop_last ? k.n / global * global : k.n;
      for (int64_t i = 0; i < k.n; ++i) {
        const int expected = k.drop_last && std::find(perm.begin(), perm.begin() + kept, i) == perm.begin() + kept ? 0 : 1;
        c.expect(s[i] == expected, std::to_string(k.n) + " samples, batch " + std::to_string(k.batch) + ", epoch " +
                                       std::to_string(epoch) + ": sample " + std::to_string(i) + " seen " +
                                       std::to_string(s[i]) + " times, expected " + std::to_string(expected));
      }
    }
    if (rank == 0)
      std::printf("%lld samples, batch %lld per rank, %d ranks: every sample seen exactly once per epoch%s\n",
                  static_cast<long long>(k.n), static_cast<long long>(k.batch), world,
                  k.drop_last ? " (drop_last: those of the partial global batch never)" : "");
  }
  return comm.any(c.failed > 0) ? 1 : 0;
}

struct TrainArgs {
  std::string dir;
  int fail_rank = -1;
  int64_t throw_at = -1, hang_at = -1;
  int step_sleep_ms = 0;
};

int train_forever(Communicator& comm, const TrainArgs& a) {
  const Dataset d = quadrant_data(1024, 3);
  Generator g(11);
  auto model = build_model(kModel, kInput, g);
  auto opt = optimizer("sgd", model->parameters());
  FitOptions fo;
  fo.epochs = kMaxEpochs;
  fo.batch_size = 16;
  fo.comm = &comm;
  const bool me = comm.rank() == a.fail_rank;
  fo.on_step = [&](const TrainPosition& at) {
    if (at.global_step == 1) {
      const std::string path = a.dir + "/rank" + std::to_string(comm.rank()) + ".pid";
      std::ofstream(path + ".tmp") << ::getpid() << "\n";
      std::filesystem::rename(path + ".tmp", path);
    }
    if (me && at.global_step == a.throw_at) CUDANET_FAIL("injected failure at step ", at.global_step);
    if (me && at.global_step == a.hang_at)
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    if (a.step_sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(a.step_sleep_ms));
  };
  fit(*model, *opt, cross_entropy_loss(), d, Dataset{}, fo);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  CommunicatorOptions co;
  TrainArgs ta;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--timeout") co.timeout_seconds = std::stod(args[i + 1]);
    if (args[i] == "--fail-rank") ta.fail_rank = std::stoi(args[i + 1]);
    if (args[i] == "--throw-at") ta.throw_at = std::stoll(args[i + 1]);
    if (args[i] == "--hang-at") ta.hang_at = std::stoll(args[i + 1]);
    if (args[i] == "--step-sleep-ms") ta.step_sleep_ms = std::stoi(args[i + 1]);
  }
  const std::string mode = args.empty() ? "" : args[0];
  std::unique_ptr<Communicator> comm;
  try {
    set_num_threads(1);  // the ranks share the host's cores
    comm = Communicator::init(&argc, &argv, co);
    if (mode == "equivalence") return equivalence(*comm);
    if (mode == "shards") return shards(*comm);
    if (mode == "train" && args.size() >= 2) {
      ta.dir = args[1];
      return train_forever(*comm, ta);
    }
    std::fprintf(stderr, "usage: cudanet_dist_worker equivalence|shards|train DIR [options]\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cudanet_dist_worker: %s: %s\n", comm ? comm->describe().c_str() : "before MPI", e.what());
    if (comm) comm->fail();
    return 1;
  }
}
