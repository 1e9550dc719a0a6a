#pragma once
#include <cstdint>

namespace cudanet {
// logits (rows, cols), one int32 label per row in [0, cols).
struct CrossEntropyParams {
  int64_t rows = 1, cols = 1;
  // ε in [0, 1]: the target of a row is (1 - ε) onehot(label) + ε / cols
  // (Keras's and PyTorch's label_smoothing). 0 is the plain one-hot target.
  double label_smoothing = 0;
};
}  // namespace cudanet
