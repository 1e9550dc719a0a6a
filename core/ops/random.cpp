// Entry points of the random fills: the generator's counters reserved on the
// host, the values drawn on the tensor's device (core/random.h).
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "core/random.h"
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

void uniform_(const Tensor& t, double low, double high, Generator& gen) {
  CUDANET_CHECK(low <= high, "uniform_: low ", low, " > high ", high);
  fill_random(t, RandomParams{RandomKind::Uniform, 0, 0, low, high}, gen, "uniform_");
}

void normal_(const Tensor& t, double mean, double stddev, Generator& gen) {
  CUDANET_CHECK(stddev >= 0, "normal_: negative standard deviation ", stddev);
  fill_random(t, RandomParams{RandomKind::Normal, 0, 0, mean, stddev}, gen, "normal_");
}

}  // namespace cudanet
