#include <cmath>

#include "kernels/common/philox.h"
#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

TEST_CASE("dropout in eval mode returns its input unchanged", "[dropout]") {
  Tensor x = randn({4, 5}, 1);
  Generator g(3);
  Tensor y = dropout(x, 0.5, false, g);
  CHECK(y.same_storage(x));
  CHECK(rel_err(y, x) == 0.0);
  CHECK(g.offset() == 0);  // no random numbers drawn
  CHECK(dropout(x, 0.0, true, g).same_storage(x));
}

TEST_CASE("dropout rejects a drop probability that is negative, NaN or not below 1", "[dropout]") {
  Tensor x = Tensor::zeros({3});
  for (double p : {1.0, -0.1, 1.5, std::nan("")}) {
    INFO("p = " << p);
    CHECK_THROWS_WITH(dropout(x, p, true), Catch::Contains("dropout") && Catch::Contains("[0, 1)"));
  }
  CHECK_THROWS_WITH(dropout(Tensor::zeros({3}, DType::i32), 0.5, true), Catch::Contains("int32"));
}

// Kept elements: Binomial(n, 1 - p), standard deviation sqrt(n p (1 - p)).
TEST_CASE("dropout keeps 1 - p of the elements and scales them by exactly 1 / (1 - p)", "[dropout]") {
  const int64_t n = 200003;
  for (double p : {0.1, 0.5, 0.8}) {
    INFO("p = " << p);
    Tensor x = randu({n}, 5, 1.0, 2.0);  // never zero: a zero output means dropped
    Generator g(17);
    auto xs = x.to_vector<float>();
    auto ys = dropout(x, p, true, g).to_vector<float>();
    const float s = static_cast<float>(1.0 / (1.0 - p));
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (ys[i] == 0.f) continue;
      ++kept;
      REQUIRE(ys[i] == xs[i] * s);
    }
    const double sigma = std::sqrt(n * p * (1 - p));
    CHECK(std::abs(kept - n * (1 - p)) < 5 * sigma);
  }
}

// The mask is specified, not just random: element i is kept when Philox word i
// at the reserved offset is >= floor(p * 2^32). This is what makes CPU and CUDA agree.
TEST_CASE("dropout's mask is Philox word i at the generator's offset", "[dropout]") {
  const int64_t n = 1001;
  const double p = 0.3;
  Generator g(1234);
  g.advance(7);  // a generator part-way through its stream
  Tensor x = Tensor::full({n}, 1.0, DType::f64);
  Tensor y = dropout(x, p, true, g);
  CHECK(g.offset() == 7 + (n + 3) / 4);  // ceil(n / 4) counters reserved
  const uint32_t threshold = static_cast<uint32_t>(p * 4294967296.0);
  auto ys = y.to_vector<double>();
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = philox::word(1234, 7, static_cast<uint64_t>(i)) >= threshold;
    INFO("element " << i);
    REQUIRE(ys[i] == (keep ? 1.0 / (1.0 - p) : 0.0));
  }
  // A fresh offset gives a different mask; the same seed and offset the same one.
  Tensor again = dropout(x, p, true, g);
  CHECK(rel_err(again, y) > 0);
  Generator h(1234);
  h.advance(7);
  CHECK(rel_err(dropout(x, p, true, h), y) == 0.0);
}

TEST_CASE("dropout's gradient is the same mask and scale", "[dropout][grad]") {
  // A fresh generator per call: every evaluation of f draws the same mask.
  gradcheck(
      [](const std::vector<Tensor>& v) {
        Generator g(77);
        return dropout(v[0], 0.4, true, g);
      },
      {randn({6, 7}, 8, DType::f64)});
  Tensor x = randu({50}, 9, 1.0, 2.0, DType::f64).set_requires_grad(true);
  Generator g(5);
  Tensor y = dropout(x, 0.25, true, g);
  sum(y).backward();
  auto xs = x.to_vector<double>(), ys = y.to_vector<double>(), gs = x.grad().to_vector<double>();
  for (size_t i = 0; i < xs.size(); ++i) CHECK(gs[i] == (ys[i] == 0 ? 0.0 : 1.0 / 0.75));
}

TEST_CASE("CUDA dropout draws the same mask as the CPU for the same seed", "[dropout][gpu]") {
  require_gpu();
  const Device gpu = Device::cuda(0);
  for (int64_t n : {1, 5, 1001, (1 << 20) + 3}) {
    INFO("n = " << n);
    Tensor x = randn({n}, 70 + n);
    Tensor dy = randn({n}, 80 + n);
    auto run = [&](Device d) {
      Generator g(2024);
      g.advance(3);
      Tensor xd = leaf(x, d);
      Tensor y = dropout(xd, 0.35, true, g);
      y.backward(dy.to(d));
      return std::pair{y, xd.grad()};
    };
    auto [y_ref, dx_ref] = run(Device::cpu());
    auto [y, dx] = run(gpu);
    // Same mask, and the same single float multiply per kept element: bit-identical.
    CHECK(rel_err(y, y_ref) == 0.0);
    CHECK(rel_err(dx, dx_ref) == 0.0);
  }
}
