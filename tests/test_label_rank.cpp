// The label-rank histogram behind top-k accuracy, against hand-counted ranks:
// ties with the label's logit do not count against it (tf.math.in_top_k), a NaN
// label logit ranks last, and a label outside the classes is not counted.
#include "test_util.h"

#include <limits>

#include "core/ops.h"
#include "train/metrics.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

std::vector<int32_t> ranks_of(Device d) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor logits = Tensor::from_vector<float>({1, 3, 2,     // label 2: 3 is above it: rank 1
                                                    2, 2, 1,     // label 0: tied with 1, none above: rank 0
                                                    nan, 1, 0,   // label 0 is NaN: rank 2 (last)
                                                    0, 5, 9,     // label 1: rank 1
                                                    4, 5, 6,     // label 0: rank 2
                                                    1, 1, 1},    // label -1: not counted
                                                   {6, 3}).to(d);
  const Tensor labels = Tensor::from_vector<int32_t>({2, 0, 0, 1, 0, -1}, {6}).to(d);
  Tensor counts = Tensor::from_vector<int32_t>({10, 20, 30}, {3}).to(d);  // adds to what is there
  label_rank_update_(counts, logits, labels);
  return counts.to(Device::cpu()).to_vector<int32_t>();
}

}  // namespace

TEST_CASE("label ranks count ties for the label and NaN as last, by hand", "[metrics]") {
  CHECK(ranks_of(Device::cpu()) == std::vector<int32_t>{11, 22, 32});
  Metrics m;
  m.samples = 5;
  m.rank_counts = {1, 2, 2};
  CHECK(m.top_k_accuracy(1) == Approx(0.2));
  CHECK(m.top_k_accuracy(2) == Approx(0.6));
  CHECK(m.top_k_accuracy(3) == Approx(1.0));
  CHECK(m.top_k_accuracy(10) == Approx(1.0));
  CHECK_THROWS_WITH(m.top_k_accuracy(0), Catch::Contains("k must be at least 1"));
}

TEST_CASE("label ranks on the CUDA device match the hand count", "[metrics][gpu]") {
  require_gpu();
  CHECK(ranks_of(Device::cuda(0)) == std::vector<int32_t>{11, 22, 32});
}
