#pragma once
// How element i of a random fill is drawn; shared by the CPU and CUDA backends.
#include <cmath>
#include <cstdint>

#include "kernels/common/philox.h"

namespace cudanet {

enum class RandomKind : unsigned char { Uniform, Normal };

struct RandomParams {
  RandomKind kind = RandomKind::Uniform;
  uint64_t seed = 0;
  uint64_t offset = 0;  // first Philox counter
  double a = 0, b = 1;  // uniform: [a, b); normal: mean a, stddev b
};

// Counters a fill of n elements consumes: uniform uses one word per element,
// normal (Box-Muller) two.
inline uint64_t random_counters(RandomKind kind, int64_t n) {
  const uint64_t words = static_cast<uint64_t>(n) * (kind == RandomKind::Normal ? 2 : 1);
  return (words + 3) / 4;
}

// Computed in double on both sides so CPU and CUDA agree after rounding to T.
CUDANET_HD double random_value(const RandomParams& p, int64_t i) {
  if (p.kind == RandomKind::Uniform) {
    const double u = philox::to_unit_double(philox::word(p.seed, p.offset, static_cast<uint64_t>(i))) -
                     1.0 / 16777216.0;  // [0, 1)
    return p.a + (p.b - p.a) * u;
  }
  const double u1 = philox::to_unit_double(philox::word(p.seed, p.offset, 2 * static_cast<uint64_t>(i)));
  const double u2 = philox::to_unit_double(philox::word(p.seed, p.offset, 2 * static_cast<uint64_t>(i) + 1));
  const double r = std::sqrt(-2.0 * std::log(u1));
  return p.a + p.b * r * std::cos(6.283185307179586 * u2);
}

}  // namespace cudanet
