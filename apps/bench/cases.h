#pragma once
// The case families; main() registers them after the options that affect them
// (TF32) are set.
#include <string>

#include "apps/bench/bench.h"
#include "core/algo.h"

namespace cudanet::bench {

void register_conv_cases();
void register_pool_cases();
void register_gemm_cases();
void register_memory_cases();
void register_e2e_cases();
// Distributed (cudanet-bench under mpirun): all-reduce bandwidth, and the
// training step with and without the gradient all-reduce.
void register_allreduce_cases();
void register_dist_train_cases();

// Relative error allowed for float32 GEMM-like ops against the CPU backend:
// sums of up to ~10^6 products in another order agree to ~1e-5 in norm, so
// 1e-4 leaves margin without hiding a wrong index (which gives errors ~1).
// TF32 rounds inputs to 10 mantissa bits (2^-11 ~ 5e-4 per product).
// "b64" or "b64.conv2": the batch (and layer) part of a case name. Built by
// appending, which also sidesteps a GCC 12 -Wrestrict false positive on
// "literal" + std::string.
inline std::string batch_label(int batch, const char* layer = nullptr) {
  std::string s = "b";
  s += std::to_string(batch);
  if (layer) (s += '.') += layer;
  return s;
}

inline double gemm_tolerance() { return allow_tf32() ? 5e-3 : 1e-4; }

}  // namespace cudanet::bench
