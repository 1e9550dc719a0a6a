#pragma once
#include <cstdint>

namespace cudanet {
// logits (rows, cols), one int32 label per row in [0, cols).
struct CrossEntropyParams {
  int64_t rows = 1, cols = 1;
};
}  // namespace cudanet
