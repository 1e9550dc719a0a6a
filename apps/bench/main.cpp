// cudanet-bench: every op per pass, algorithm and shape, and the end-to-end
// training throughput of the reference model, each checked against the CPU
// backend before it is timed. See docs/benchmarks.md.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>

#include "apps/bench/cases.h"
#include "apps/bench/report.h"
#include "core/cpu_capability.h"
#include "core/device.h"
#include "core/threads.h"
#include "core/version.h"
#include "dist/communicator.h"
#ifdef CUDANET_WITH_CUDA
#include "apps/bench/cuda_timing.h"
#endif

namespace {

using namespace cudanet;
using namespace cudanet::bench;

// A collective that a peer has not joined after this long stops the job: the
// slowest case, a 64 MiB all-reduce window on a loaded CPU, takes seconds.
constexpr double kCollectiveTimeoutSeconds = 300;

// A case runs when any comma-separated pattern equals one of its tags, occurs
// in its name, or (as a regular expression) matches part of its name.
bool selected(const Case& c, const std::string& filter) {
  if (filter.empty()) return true;
  std::stringstream ss(filter);
  std::string pat;
  while (std::getline(ss, pat, ',')) {
    if (pat.empty()) continue;
    for (const auto& t : c.tags)
      if (t == pat) return true;
    if (c.name.find(pat) != std::string::npos) return true;
    try {
      if (std::regex_search(c.name, std::regex(pat))) return true;
    } catch (const std::regex_error&) {
      // Not a regular expression: the substring test above was the whole match.
    }
  }
  return false;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string first_line(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::string s;
  std::getline(f, s);
  return s;
}

// CUDANET_COMMIT, else the COMMIT file tools/build-gpu.sh leaves in the build
// folder, else the source tree's HEAD when it is still there, else the commit
// the build was configured at.
std::string commit() {
  if (const char* c = std::getenv("CUDANET_COMMIT")) return c;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::string c = first_line(exe.parent_path().parent_path() / "COMMIT");
    if (!c.empty()) return c;
  }
  if (std::FILE* git = popen("git -C '" CUDANET_SOURCE_DIR "' rev-parse --short HEAD 2>/dev/null", "r")) {
    char buf[64] = {};
    const bool got = std::fgets(buf, sizeof buf, git) != nullptr;
    if (pclose(git) == 0 && got) {
      std::string c = buf;
      while (!c.empty() && (c.back() == '\n' || c.back() == '\r')) c.pop_back();
      if (!c.empty()) return c;
    }
  }
  return CUDANET_BENCH_COMMIT;
}

// This process's rank as mpirun (Open MPI, MPICH, PMIx) tells it, 0 when
// started alone: under mpirun only rank 0 reports, also when no distributed
// case made the process join the job.
int launcher_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if (const char* v = std::getenv(var)) return std::atoi(v);
  return 0;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

void register_all() {
  register_conv_cases();
  register_pool_cases();
  register_gemm_cases();
  register_memory_cases();
  register_e2e_cases();
  register_allreduce_cases();
  register_dist_train_cases();
}

Result run_case(const Case& c, const Options& o) {
  try {
    return c.run(o);
  } catch (const std::exception& e) {
    // The other ranks would wait for this one in the case's next collective:
    // stop the job (the communicator's fault path), naming the rank.
    if (c.dist && o.comm && o.comm->size() > 1) {
      o.comm->fail();
      throw Error(o.comm->describe() + ": " + c.name + ": " + e.what());
    }
    Result r;
    r.name = c.name, r.group = c.group, r.algo = c.algo, r.device = c.cuda ? "cuda" : "cpu", r.tags = c.tags;
    r.status = Status::Failed;
    r.note = e.what();
    return r;
  }
}

int run(int argc, char** argv) {
  CLI::App app{"cudanet-bench: op and end-to-end benchmarks, each checked against the CPU backend before timing"};
  std::string filter, json;
  bool list = false, tf32 = false, no_flush = false, no_ceilings = false;
  int threads = 0;
  Options o;
  app.add_option("--filter", filter,
                 "cases to run: comma-separated tags (reference, layers, sgemm, memory, e2e, dist), name substrings "
                 "or regular expressions; default all");
  app.add_flag("--list", list, "list the cases the filter selects and exit");
  app.add_option("--json", json, "also write the results to this JSON file");
  app.add_option("--repeats", o.repeats, "timed runs per case (the median is reported)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--warmup", o.warmup, "untimed runs before timing")->capture_default_str()->check(CLI::Range(0, 1000));
  app.add_option("--max-seconds", o.max_seconds, "stop repeating a case after this long (at least 3 runs)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--e2e-steps", o.e2e_steps,
                 "training steps per timed window of the CUDA end-to-end and the distributed training cases")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_flag("--cpu-clock", o.cpu_clock,
               "time CPU cases by the process's CPU time, not wall time (a machine busy with other work; "
               "exact with --threads 1)");
  app.add_option("--data", o.data,
                 "end-to-end cases train on the first images of this MNIST-style folder (default: synthetic data)")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--no-flush", no_flush, "do not flush the L2 between CUDA runs");
  app.add_flag("--no-ceilings", no_ceilings, "skip measuring the ceilings (no %peak column; quicker, cleaner profiles)");
  app.add_flag("--tf32", tf32, "allow TF32 in cuBLAS/cuDNN (off by default, as in tools/bench_torch.py)");
  app.add_option("--threads", threads, "CPU threads (0: all cores, shared by the ranks of a node under mpirun)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  CLI11_PARSE(app, argc, argv);
  o.flush_l2 = !no_flush;
  set_allow_tf32(tf32);
  // Chosen now, so a CUDANET_CPU_CAPABILITY the processor cannot honour stops
  // the run before any case.
  const char* capability = cpu_capability();
  register_all();

  std::vector<const Case*> chosen;
  for (const Case& c : registry())
    if (selected(c, filter)) chosen.push_back(&c);
  if (list) {
    if (launcher_rank() != 0) return 0;
    for (const Case* c : chosen) {
      std::string tags;
      for (const auto& t : c->tags) tags += (tags.empty() ? "" : ",") + t;
      std::printf("%-40s %s\n", c->name.c_str(), tags.c_str());
    }
    return 0;
  }
  if (chosen.empty()) {
    std::fprintf(stderr, "cudanet-bench: no case matches --filter '%s' (see --list)\n", filter.c_str());
    return 2;
  }

  // The job mpirun started (a world of one without it), joined only when a
  // distributed case is selected. Every rank runs every case in the same
  // order; rank 0 alone reports.
  std::unique_ptr<Communicator> comm;
  bool any_dist = false;
  for (const Case* c : chosen) any_dist = any_dist || c->dist;
  if (any_dist) {
    if (distributed_available()) {
      CommunicatorOptions co;
      co.timeout_seconds = kCollectiveTimeoutSeconds;
      comm = Communicator::init(nullptr, nullptr, co);
      o.comm = comm.get();
    } else {
      o.comm_unavailable = distributed_unavailable_reason();
    }
  }
  const bool reporter = comm ? comm->rank() == 0 : launcher_rank() == 0;
  set_num_threads(threads);
  // Ranks sharing a node share its cores.
  if (threads == 0 && comm && comm->local_size() > 1) set_num_threads(std::max(1, num_threads() / comm->local_size()));

  RunInfo info;
  info.date = now_utc();
  info.commit = commit();
  info.version = CUDANET_VERSION_STRING;
  info.cpu = cpu_model();
  info.threads = num_threads();
  info.cpu_capability = capability;
  info.tf32 = tf32 ? "on (cuBLAS and cuDNN may use TF32 tensor cores)" : "off (full FP32)";
  info.options = o;
  info.card = cuda_available() ? cuda_device_description(0) : "none (" + cuda_unavailable_reason() + ")";
  if (comm) info.dist = comm->describe() + "; " + distributed_backends();
  // The distributed cases have no ceiling: they add no measurement of one.
  bool any_cpu = false, any_cuda = false, any_cuda_case = false;
  for (const Case* c : chosen) {
    any_cuda_case = any_cuda_case || c->cuda;
    if (!c->dist) (c->cuda ? any_cuda : any_cpu) = true;
  }
  if (any_cpu && !no_ceilings) info.cpu_ceilings = measure_cpu_ceilings(o);
#ifdef CUDANET_WITH_CUDA
  if (any_cuda_case && cuda_available()) {
    info.card = cuda_card();
    if (any_cuda && !no_ceilings) info.cuda_ceilings = measure_cuda_ceilings(o);
  }
#else
  (void)any_cuda, (void)any_cuda_case;
#endif
  if (reporter) {
    print_run_info(stdout, info);
    print_table_header(stdout);
  }

  // Results are printed a group at a time, so a native row can show its
  // fraction of the vendor row that follows it. The JSON is rewritten after
  // every group: a run stopped by a timeout still leaves what it measured.
  std::vector<Result> all, group;
  auto flush_group = [&] {
    fill_fractions(group, info);
    if (reporter) print_rows(stdout, group);
    all.insert(all.end(), group.begin(), group.end());
    group.clear();
    if (reporter && !json.empty()) write_json(json, info, all);
  };
  for (const Case* c : chosen) {
    if (!group.empty() && group.back().group != c->group) flush_group();
    group.push_back(run_case(*c, o));
  }
  flush_group();
  if (reporter) std::printf("\n%s\n", summary_line(all).c_str());
  for (const Result& r : all)
    if (r.status == Status::Wrong || r.status == Status::Failed) return 1;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cudanet-bench: %s\n", e.what());
    return 1;
  }
}
