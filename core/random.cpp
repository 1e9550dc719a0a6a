#include "core/random.h"

#include <cmath>

#include "core/ops/dispatch.h"
#include "kernels/cpu/random.h"
#include "kernels/cuda/random.cuh"

namespace cudanet {

namespace {
void fill_random(const Tensor& t, RandomParams p, Generator& gen, const char* op) {
  check_floating(t, op);
  p.seed = gen.seed();
  p.offset = gen.advance(random_counters(p.kind, t.numel()));
  CUDANET_DISPATCH(t.device(), random_fill, t, p);
}
}  // namespace

Generator& default_generator() {
  static Generator g(0);
  return g;
}

void manual_seed(uint64_t seed) { default_generator().set_state(seed, 0); }

void uniform_(const Tensor& t, double low, double high, Generator& gen) {
  CUDANET_CHECK(low <= high, "uniform_: low ", low, " > high ", high);
  fill_random(t, RandomParams{RandomKind::Uniform, 0, 0, low, high}, gen, "uniform_");
}

void normal_(const Tensor& t, double mean, double stddev, Generator& gen) {
  CUDANET_CHECK(stddev >= 0, "normal_: negative standard deviation ", stddev);
  fill_random(t, RandomParams{RandomKind::Normal, 0, 0, mean, stddev}, gen, "normal_");
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
