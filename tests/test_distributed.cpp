// Distributed training (dist/): the sharded loader, the
// communicator in a world of one (a process started without mpirun), fit()
// with a communicator, NCCL on a GPU, and the fault scenarios, which start
// `mpirun -np 2` with tests/dist/dist_worker.cpp and time how fast a failure
// on one rank stops the other. The 2-rank equivalence with one process and
// the MPI sharding check run as ctest tests of their own (tests/CMakeLists.txt).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dist/communicator.h"
#include "dist/data_parallel.h"
#include "io/loader.h"
#include "io_test_util.h"
#include "layers/zoo.h"
#include "train/fit.h"

extern char** environ;

using namespace cudanet;
using namespace cudanet::test;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Samples whose label is their index, so a batch's labels say which samples it holds.
Dataset indexed(int64_t n) {
  Dataset d;
  d.images = randu({n, 1, 2, 2}, 7, 0.0, 1.0);
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>(i);
  d.labels = Tensor::from_vector(ids, {n});
  d.num_classes = static_cast<int>(std::max<int64_t>(n, 1));
  return d;
}

Dataset quadrants(int64_t n, uint64_t seed) {
  Tensor x = randu({n, 1, 8, 8}, seed, 0.0, 0.5);
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
  d.labels = Tensor::from_vector(labels, {n});
  d.num_classes = 4;
  return d;
}

}  // namespace

TEST_CASE("distributed: each rank's batch k is its slice of global batch k, and the ranks see each sample once",
          "[distributed][loader]") {
  struct Case {
    int64_t n, batch;
  };
  // Uneven sizes, last global batches that leave ranks empty, fewer samples
  // than one global batch.
  for (const Case k : {Case{232, 32}, Case{212, 32}, Case{7, 4}, Case{3, 4}, Case{1, 1}, Case{64, 1}})
    for (int world : {1, 2, 3, 4})
      for (bool drop_last : {false, true}) {
        INFO(k.n << " samples, batch " << k.batch << ", world " << world << (drop_last ? ", drop_last" : ""));
        const Dataset d = indexed(k.n);
        LoaderOptions one_opt;  // one process at the global batch
        one_opt.batch_size = k.batch * world;
        one_opt.seed = 4;
        one_opt.drop_last = drop_last;
        DataLoader one(d, one_opt);
        std::vector<std::unique_ptr<DataLoader>> ranks;
        for (int r = 0; r < world; ++r) {
          LoaderOptions o = one_opt;
          o.batch_size = k.batch;
          o.rank = r;
          o.world = world;
          ranks.push_back(std::make_unique<DataLoader>(d, o));
          REQUIRE(ranks.back()->num_batches() == one.num_batches());
        }
        for (int epoch : {0, 1}) {
          one.start_epoch(epoch);
          for (auto& l : ranks) l->start_epoch(epoch);
          std::vector<int> seen(static_cast<size_t>(k.n), 0);
          Batch whole, part;
          int64_t batches = 0;
          while (one.next(whole)) {
            std::vector<int32_t> joined;
            for (auto& l : ranks) {
              REQUIRE(l->next(part));
              REQUIRE(part.global_rows == whole.y.size(0));
              REQUIRE(part.y.size(0) <= k.batch);
              for (int32_t id : part.y.to_vector<int32_t>()) {
                joined.push_back(id);
                ++seen[id];
              }
            }
            // The ranks' batches, in rank order, are the single process's batch.
            REQUIRE(joined == whole.y.to_vector<int32_t>());
            ++batches;
          }
          for (auto& l : ranks) REQUIRE_FALSE(l->next(part));
          REQUIRE(batches == one.num_batches());
          const int64_t kept = drop_last ? k.n / (k.batch * world) * (k.batch * world) : k.n;
          int64_t total = 0;
          for (int s : seen) {
            REQUIRE(s <= 1);
            total += s;
          }
          REQUIRE(total == kept);
        }
      }
  CHECK_THROWS_WITH(DataLoader(indexed(4), LoaderOptions{.rank = 2, .world = 2}), Catch::Contains("rank 2"));
}

TEST_CASE("distributed: a process started without mpirun is a world of one in which every call works",
          "[distributed]") {
  if (!distributed_available()) {
    // The build without MPI: one line naming what is missing.
    CHECK_THROWS_WITH(Communicator::init(), Catch::Contains("built without MPI") && Catch::Contains("libopenmpi-dev"));
    CHECK(distributed_unavailable_reason().find('\n') == std::string::npos);
    return;
  }
  auto comm = Communicator::init();
  CHECK(comm->rank() == 0);
  CHECK(comm->size() == 1);
  CHECK(comm->local_rank() == 0);
  CHECK(comm->local_size() == 1);
  CHECK(comm->describe() == "rank 0 of 1 (local 0 of 1)");
  CHECK(distributed_backends().find("MPI") != std::string::npos);
  for (DType dt : {DType::f32, DType::f64, DType::i32, DType::u8}) {
    INFO(dtype_name(dt));
    Tensor t = cast(randu({3, 5}, 1, 0.0, 100.0), dt);
    const Tensor ref = t.clone();
    comm->all_reduce_(t, ReduceOp::Sum);
    CHECK(rel_err(t, ref) == 0);
    if (is_floating(dt)) {
      comm->all_reduce_(t, ReduceOp::Mean);
      CHECK(rel_err(t, ref) == 0);
    } else {
      CHECK_THROWS_WITH(comm->all_reduce_(t, ReduceOp::Mean), Catch::Contains("integer tensors take ReduceOp::Sum"));
    }
    comm->broadcast_(t, 0);
    CHECK(rel_err(t, ref) == 0);
  }
  comm->all_reduce_(Tensor::empty({0}));  // nothing to send, nothing sent
  CHECK_THROWS_WITH(comm->broadcast_(Tensor::zeros({2}), 1), Catch::Contains("rank 1, which is not in the job"));
  comm->barrier();
  CHECK(comm->any(true));
  CHECK_FALSE(comm->any(false));
#if !CUDANET_WITH_NCCL
  if (cuda_available())
    CHECK_THROWS_WITH(comm->all_reduce_(Tensor::zeros({2}, DType::f32, Device::cuda())),
                      Catch::Contains("built without NCCL"));
#endif
}

TEST_CASE("distributed: in a world of one, fit with a communicator is bitwise fit without one", "[distributed]") {
  if (!distributed_available()) skip_test(distributed_unavailable_reason());
  auto comm = Communicator::init();
  const Dataset train = quadrants(150, 3), val = quadrants(40, 9);
  auto run = [&](Communicator* c) {
    Generator g(11);
    auto model = build_model("conv4x3-relu-maxpool2-flatten-dense4", Shape{1, 8, 8}, g);
    auto opt = make_optimizer("adam", model->parameters());
    FitOptions fo;
    fo.epochs = 2;
    fo.batch_size = 32;
    fo.seed = 5;
    fo.comm = c;
    auto history = fit(*model, *opt, cross_entropy_loss(), train, val, fo);
    CHECK(steps_per_epoch(train, fo) == 5);
    return std::make_pair(history, model->named_parameters());
  };
  const auto [h0, p0] = run(nullptr);
  const auto [h1, p1] = run(comm.get());
  REQUIRE(h0.size() == h1.size());
  for (size_t e = 0; e < h0.size(); ++e) {
    CHECK(h0[e].loss == h1[e].loss);
    CHECK(h0[e].accuracy == h1[e].accuracy);
    CHECK(h0[e].val_loss == h1[e].val_loss);
  }
  REQUIRE(p0.size() == p1.size());
  for (size_t i = 0; i < p0.size(); ++i) {
    INFO(p0[i].first);
    CHECK(rel_err(p1[i].second, p0[i].second) == 0);
  }
}

TEST_CASE("distributed: gradients live in flat buckets, one per parameter or one for all", "[distributed]") {
  if (!distributed_available()) skip_test(distributed_unavailable_reason());
  auto comm = Communicator::init();
  Generator g(2);
  auto model = build_model("flatten-dense8-relu-dense4", Shape{1, 4, 4}, g);
  auto opt = make_optimizer("sgd", model->parameters());
  const Tensor x = randu({5, 1, 4, 4}, 3, -1.0, 1.0);
  const Tensor y = Tensor::from_vector<int32_t>({0, 1, 2, 3, 0}, {5});
  cross_entropy((*model)(x), y).backward();
  std::vector<Tensor> before;
  for (const Tensor& p : model->parameters()) before.push_back(p.grad().clone());
  for (size_t bytes : {size_t{1}, kDefaultBucketBytes}) {
    DataParallel dp(*comm, *model, *opt, bytes);
    CHECK(dp.num_buckets() == (bytes == 1 ? 4 : 1));
    const std::vector<Tensor> params = model->parameters();
    for (size_t i = 0; i < params.size(); ++i) CHECK(rel_err(params[i].grad(), before[i]) == 0);  // kept
    // A world of one holds the whole batch: the gradient stays the same.
    dp.reduce_gradients(5, 5);
    for (size_t i = 0; i < params.size(); ++i) CHECK(rel_err(params[i].grad(), before[i]) == 0);
    // A backward accumulates into the bucket views in place: 0 + g is g.
    opt->zero_grad();
    cross_entropy((*model)(x), y).backward();
    for (size_t i = 0; i < params.size(); ++i) CHECK(rel_err(params[i].grad(), before[i]) == 0);
  }
  DataParallel dp(*comm, *model, *opt);
  CHECK_THROWS_WITH(dp.reduce_gradients(6, 5), Catch::Contains("6 rows of a global batch of 5"));
}

// ---- NCCL: a world of one on one GPU ------------------------------------------

TEST_CASE("distributed: NCCL in a world of one runs all-reduce, broadcast and barrier on cuda:0",
          "[gpu][distributed]") {
  require_gpu();
  // NCCL is vendor code, like cuBLAS and cuDNN: not on the emulated device.
  if (cuda_emulated()) skip_test("NCCL is not available on the emulated CUDA device");
  if (!distributed_available()) skip_test(distributed_unavailable_reason());
#if !CUDANET_WITH_NCCL
  skip_test("cudanet was built without NCCL: the communicator refuses CUDA tensors");
#endif
  auto comm = Communicator::init();
  CHECK(comm->local_device() == Device::cuda(0));
  INFO(distributed_backends());
  for (DType dt : {DType::f32, DType::f64, DType::i32, DType::u8}) {
    INFO(dtype_name(dt));
    const Tensor ref = cast(randu({7, 33}, 1, 0.0, 100.0), dt);
    Tensor t = ref.to(Device::cuda());
    comm->all_reduce_(t, ReduceOp::Sum);
    CHECK(rel_err(t, ref) == 0);
    if (is_floating(dt)) {
      comm->all_reduce_(t, ReduceOp::Mean);
      CHECK(rel_err(t, ref) == 0);
    }
    comm->broadcast_(t, 0);
    CHECK(rel_err(t, ref) == 0);
  }
  comm->barrier();
  // fit on the GPU over NCCL: gradients, the state broadcast and the metrics.
  const Dataset train = quadrants(150, 3), val = quadrants(40, 9);
  auto run = [&](Communicator* c) {
    Generator g(11);
    auto model = build_model("conv4x3-relu-maxpool2-flatten-dense4", Shape{1, 8, 8}, g);
    model->to(Device::cuda());
    auto opt = make_optimizer("adam", model->parameters());
    FitOptions fo;
    fo.epochs = 2;
    fo.batch_size = 32;
    fo.comm = c;
    auto history = fit(*model, *opt, cross_entropy_loss(), train, val, fo);
    return std::make_pair(history.back(), model->named_parameters());
  };
  const auto [s0, p0] = run(nullptr);
  const auto [s1, p1] = run(comm.get());
  // The same kernels on the same data; the vendor libraries may pick
  // algorithms whose sums run in another order, hence not bitwise.
  CHECK(s1.loss == Approx(s0.loss).epsilon(1e-5));
  CHECK(s1.val_accuracy == Approx(s0.val_accuracy).margin(1.0 / 40));
  for (size_t i = 0; i < p0.size(); ++i) CHECK(rel_err(p1[i].second, p0[i].second) < 1e-4);
  comm->barrier();
}

TEST_CASE("distributed: device batches of a rank equal its CPU batches, resident and prefetched",
          "[gpu][distributed][loader]") {
  require_gpu();
  // 212 samples in global batches of 2 x 32: the last has 20 rows, all on rank 0.
  const Dataset d = indexed(212);
  for (int rank : {0, 1})
    for (bool resident : {true, false}) {
      INFO("rank " << rank << (resident ? " resident" : " prefetched"));
      LoaderOptions o;
      o.batch_size = 32;
      o.seed = 9;
      o.rank = rank;
      o.world = 2;
      DataLoader cpu(d, o);
      o.device = Device::cuda();
      o.device_resident = resident;
      DataLoader gpu(d, o);
      cpu.start_epoch(1);
      gpu.start_epoch(1);
      Batch bc, bg;
      while (cpu.next(bc)) {
        REQUIRE(gpu.next(bg));
        REQUIRE(bg.global_rows == bc.global_rows);
        REQUIRE(bg.y.to_vector<int32_t>() == bc.y.to_vector<int32_t>());
        if (bc.y.size(0) > 0) REQUIRE(rel_err(bg.x, bc.x) == 0);
      }
      REQUIRE(bc.y.size(0) == (rank == 0 ? 20 : 0));
      REQUIRE_FALSE(gpu.next(bg));
    }
}

// ---- faults: mpirun -np 2, one rank killed, throwing or hanging ----------------

namespace {

#ifdef CUDANET_DIST_WORKER
// The worker built beside this test, or $CUDANET_DIST_WORKER for a moved build.
std::string worker() {
  const char* e = std::getenv("CUDANET_DIST_WORKER");
  return e && *e ? e : CUDANET_DIST_WORKER;
}
#endif

// A job started with mpirun in a process group of its own, its output in a file.
struct Job {
  pid_t pid = -1;
  std::string dir, out;
  int status = -1;

  Job(const std::string& name, const std::vector<std::string>& worker_args) {
#ifdef CUDANET_DIST_WORKER
    dir = temp_dir(name);
    out = dir + "/out.txt";
    std::vector<std::string> args = {CUDANET_MPIEXEC, "-np", "2", "--oversubscribe", worker()};
    args.insert(args.end(), worker_args.begin(), worker_args.end());
    for (auto& a : args)
      if (a == "DIR") a = dir;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Open MPI refuses root unless told; CI runs as root.
    std::vector<std::string> env_s = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"};
    for (char** e = environ; *e; ++e) env_s.push_back(*e);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    REQUIRE(posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp.data()) == 0);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
#else
    (void)name, (void)worker_args;
#endif
  }
  ~Job() {
    if (status < 0 && pid > 0) {  // still running: stop the group it leads
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  // Waits up to `seconds` for mpirun to exit; false if it is still running.
  bool wait(double seconds) {
    const auto t0 = Clock::now();
    while (seconds_since(t0) < seconds) {
      int st = 0;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        status = st;
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }
  std::string output() const {
    std::ifstream f(out);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }
  // The pid rank r wrote after its first step, once both ranks train; -1 if
  // mpirun exited or 120 s passed first.
  pid_t rank_pid(int r) {
    const auto t0 = Clock::now();
    const std::string p0 = dir + "/rank0.pid", p1 = dir + "/rank1.pid";
    while (seconds_since(t0) < 120) {
      if (std::filesystem::exists(p0) && std::filesystem::exists(p1)) {
        pid_t v = -1;
        std::ifstream(r == 0 ? p0 : p1) >> v;
        return v;
      }
      int st = 0;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        status = st;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
};

// A process that exists and is not a zombie.
bool alive(pid_t p) {
  std::ifstream f("/proc/" + std::to_string(p) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  const size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

void require_mpirun() {
#ifndef CUDANET_DIST_WORKER
  skip_test(distributed_available() ? "the MPI worker was not built" : distributed_unavailable_reason());
#endif
}

// How long the other rank may take to stop: mpirun notices a dead or failed
// rank within about a second (measured: 1.1 s); the rest is a slow CI host.
constexpr double kStopSeconds = 15;

}  // namespace

TEST_CASE("distributed: a rank killed mid-epoch stops the other within seconds, and mpirun names it", "[mpirun]") {
  require_mpirun();
  Job job("dist-kill", {"train", "DIR", "--step-sleep-ms", "5"});
  const pid_t victim = job.rank_pid(1), survivor = job.rank_pid(0);
  INFO(job.output());
  REQUIRE(victim > 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // well into the epoch
  REQUIRE(::kill(victim, SIGKILL) == 0);
  const auto t0 = Clock::now();
  const bool stopped = job.wait(kStopSeconds);
  const double took = seconds_since(t0);
  INFO(job.output());
  REQUIRE(stopped);
  WARN("mpirun exited " << took << " s after rank 1 was killed");
  CHECK(job.exit_code() != 0);
  CHECK_FALSE(alive(survivor));
  CHECK_THAT(job.output(), Catch::Contains("rank 1") && Catch::Contains("signal 9"));
}

TEST_CASE("distributed: a rank that throws mid-epoch stops the other within seconds, naming the rank", "[mpirun]") {
  require_mpirun();
  Job job("dist-throw", {"train", "DIR", "--fail-rank", "1", "--throw-at", "40", "--step-sleep-ms", "5"});
  const pid_t survivor = job.rank_pid(0);
  const auto t0 = Clock::now();
  const bool stopped = job.wait(60);
  INFO(job.output());
  REQUIRE(survivor > 0);
  REQUIRE(stopped);
  WARN("mpirun exited " << seconds_since(t0) << " s after both ranks had started training (the throw is 40 steps in)");
  CHECK(job.exit_code() != 0);
  CHECK_FALSE(alive(survivor));
  CHECK_THAT(job.output(), Catch::Contains("rank 1 of 2") && Catch::Contains("injected failure at step 40") &&
                               Catch::Contains("cudanet: rank 1 of 2 stopped on an error"));
}

TEST_CASE("distributed: a rank that hangs makes the other time out and the job stop", "[mpirun]") {
  require_mpirun();
  Job job("dist-hang", {"train", "DIR", "--fail-rank", "1", "--hang-at", "40", "--timeout", "3"});
  const pid_t hung = job.rank_pid(1);
  const auto t0 = Clock::now();
  const bool stopped = job.wait(3 + kStopSeconds + 30);
  INFO(job.output());
  REQUIRE(hung > 0);
  REQUIRE(stopped);
  WARN("mpirun exited " << seconds_since(t0) << " s after both ranks had started training (the hang is 40 steps in, "
                        << "the timeout 3 s)");
  CHECK(job.exit_code() != 0);
  CHECK_FALSE(alive(hung));
  CHECK_THAT(job.output(), Catch::Contains("rank 0 of 2") && Catch::Contains("did not complete within 3 s"));
}
