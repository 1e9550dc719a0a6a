#pragma once
// Thread count for the CPU backend (OpenMP), and the size below which a loop
// stays on one thread because forking costs more than it saves.
#include <cstdint>

namespace cudanet {
constexpr int64_t kParallelGrain = 1 << 15;
void set_num_threads(int n);  // 0 = all cores
int num_threads();
}  // namespace cudanet
