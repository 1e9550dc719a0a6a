#pragma once
#include <cstdint>

namespace cudanet {
// x (rows_in, inner) gathered by index (rows_out) int32 into y (rows_out, inner).
struct IndexSelectParams {
  int64_t rows_in = 0, rows_out = 0, inner = 1;
};
}  // namespace cudanet
