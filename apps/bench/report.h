#pragma once
// The terminal table and the JSON document of a benchmark run.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "apps/bench/bench.h"

namespace cudanet::bench {

struct RunInfo {
  std::string date, commit, version, card, cpu, tf32;
  std::string cpu_capability;  // the level the CPU kernels run at (core/cpu_capability.h)
  std::string dist;            // the job, when a distributed case joined one: "rank 0 of 2 ...; MPI (...)"
  int threads = 0;
  Options options;
  std::optional<Ceilings> cpu_ceilings, cuda_ceilings;
};

// Fills the ceiling fraction of each result from its device's ceilings, and
// the vendor fraction of each non-vendor result from the vendor result of its
// group (cuDNN, cuBLAS, or the "vendor" end-to-end choice).
void fill_fractions(std::vector<Result>& group, const RunInfo& info);

void print_run_info(std::FILE* out, const RunInfo& info);
void print_table_header(std::FILE* out);
void print_rows(std::FILE* out, const std::vector<Result>& results);
// "N ok, N wrong, N failed, N skipped"
std::string summary_line(const std::vector<Result>& results);

void write_json(const std::string& path, const RunInfo& info, const std::vector<Result>& results);

}  // namespace cudanet::bench
