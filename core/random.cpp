#include "core/random.h"

#include <cmath>

#include "kernels/common/philox.h"

namespace cudanet {

Generator& default_generator() {
  static Generator g(0);
  return g;
}

void manual_seed(uint64_t seed) { default_generator().set_state(seed, 0); }

uint64_t random_bits(uint64_t seed, uint64_t counter) {
  const philox::U4 r = philox::philox4x32(counter, seed);
  return (static_cast<uint64_t>(r.x) << 32) | r.y;
}

void glorot_uniform_(const Tensor& t, int64_t fan_in, int64_t fan_out, Generator& gen) {
  CUDANET_CHECK(fan_in + fan_out > 0, "glorot_uniform_: fan_in + fan_out must be positive");
  const double limit = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  uniform_(t, -limit, limit, gen);
}

void he_normal_(const Tensor& t, int64_t fan_in, Generator& gen) {
  CUDANET_CHECK(fan_in > 0, "he_normal_: fan_in must be positive");
  normal_(t, 0.0, std::sqrt(2.0 / static_cast<double>(fan_in)), gen);
}

}  // namespace cudanet
