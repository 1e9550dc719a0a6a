#pragma once
// Threads used by the CPU backend (OpenMP).

namespace cudanet {
void set_num_threads(int n);  // 0 = all cores
int num_threads();
}  // namespace cudanet
