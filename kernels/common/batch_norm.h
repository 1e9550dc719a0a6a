#pragma once
#include <cstdint>

namespace cudanet {

// x (n, channels, inner): one mean and variance per channel over its
// n * inner values; (N, C, H, W) has inner = H * W, (N, C) inner = 1.
struct BatchNormDims {
  int64_t n = 1, channels = 1, inner = 1;
  double momentum = 0.1;  // running = (1 - momentum) * running + momentum * batch
  double eps = 1e-5;
  bool training = true;  // backward through batch statistics; else the affine map of eval mode

  constexpr int64_t count() const { return n * inner; }  // values per channel
};

}  // namespace cudanet
