#pragma once
#include <cstdint>

#include "core/algo.h"

namespace cudanet {
// Row-major C (m, n) = alpha * op(A) · op(B) + beta * C, with op(A) (m, k) and
// op(B) (k, n). A is stored (m, k), or (k, m) when trans_a; B is stored (k, n),
// or (n, k) when trans_b. beta == 0 never reads C, so C may hold garbage.
struct MatmulParams {
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  double alpha = 1.0, beta = 0.0;
  Algo algo = Algo::Native;  // CUDA only, resolved by the entry point: Native, Cublas or Auto
};
}  // namespace cudanet
