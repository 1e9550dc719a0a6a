#pragma once
#include <cstdint>

namespace cudanet {
// labels (rows) int32 -> out (rows, classes).
struct OneHotParams {
  int64_t rows = 0, classes = 1;
};
}  // namespace cudanet
