// cudanet-bench: every op per pass, algorithm and shape, and the end-to-end
// training throughput of the reference model, each checked against the CPU
// backend before it is timed. See docs/benchmarks.md.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "apps/bench/cases.h"
#include "apps/bench/report.h"
#include "core/cpu_capability.h"
#include "core/device.h"
#include "core/threads.h"
#include "core/version.h"
#ifdef CUDANET_WITH_CUDA
#include "apps/bench/cuda_timing.h"
#endif

namespace {

using namespace cudanet;
using namespace cudanet::bench;

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
}

Result run_case(const Case& c, const Options& o) {
  try {
    return c.run(o);
  } catch (const std::exception& e) {
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
                 "cases to run: comma-separated tags (reference, layers, sgemm, memory, e2e), name substrings "
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
  app.add_option("--e2e-steps", o.e2e_steps, "training steps per timed window of the CUDA end-to-end cases")
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
  app.add_option("--threads", threads, "CPU threads (0: all cores)")->capture_default_str()->check(CLI::Range(0, 1024));
  CLI11_PARSE(app, argc, argv);
  o.flush_l2 = !no_flush;
  set_allow_tf32(tf32);
  set_num_threads(threads);
  // Chosen now, so a CUDANET_CPU_CAPABILITY the processor cannot honour stops
  // the run before any case.
  const char* capability = cpu_capability();
  register_all();

  std::vector<const Case*> chosen;
  for (const Case& c : registry())
    if (selected(c, filter)) chosen.push_back(&c);
  if (list) {
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
  bool any_cpu = false, any_cuda = false;
  for (const Case* c : chosen) (c->cuda ? any_cuda : any_cpu) = true;
  if (any_cpu && !no_ceilings) info.cpu_ceilings = measure_cpu_ceilings(o);
#ifdef CUDANET_WITH_CUDA
  if (any_cuda && cuda_available()) {
    info.card = cuda_card();
    if (!no_ceilings) info.cuda_ceilings = measure_cuda_ceilings(o);
  }
#endif
  print_run_info(stdout, info);
  print_table_header(stdout);

  // Results are printed a group at a time, so a native row can show its
  // fraction of the vendor row that follows it. The JSON is rewritten after
  // every group: a run stopped by a timeout still leaves what it measured.
  std::vector<Result> all, group;
  auto flush_group = [&] {
    fill_fractions(group, info);
    print_rows(stdout, group);
    all.insert(all.end(), group.begin(), group.end());
    group.clear();
    if (!json.empty()) write_json(json, info, all);
  };
  for (const Case* c : chosen) {
    if (!group.empty() && group.back().group != c->group) flush_group();
    group.push_back(run_case(*c, o));
  }
  flush_group();
  std::printf("\n%s\n", summary_line(all).c_str());
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
