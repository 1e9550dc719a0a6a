#pragma once
// Threads used by the CPU backend (OpenMP), and when a loop is worth them.
#include <cstdint>

namespace cudanet {
void set_num_threads(int n);  // 0 = all cores
int num_threads();

// The size below which a CPU loop stays on one thread because forking costs
// more than it saves: `#pragma omp parallel for if (n > kParallelGrain)`.
constexpr int64_t kParallelGrain = 1 << 15;
}  // namespace cudanet
