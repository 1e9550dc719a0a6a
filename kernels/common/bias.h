#pragma once
#include <cstdint>

namespace cudanet {
// x (n, channels, inner) with a bias per channel.
struct BiasParams {
  int64_t n = 1, channels = 1, inner = 1;
};
}  // namespace cudanet
