#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

TEST_CASE("random fills are seeded, reproducible and have the right moments", "[random]") {
  const int64_t n = 200000;
  Tensor u = randu({n}, 7, -2.0, 3.0, DType::f64);
  Tensor u2 = randu({n}, 7, -2.0, 3.0, DType::f64);
  CHECK(rel_err(u, u2) == 0.0);
  CHECK(rel_err(u, randu({n}, 8, -2.0, 3.0, DType::f64)) > 0.1);
  auto v = u.to_vector<double>();
  double lo = 1e9, hi = -1e9, m = 0;
  for (double x : v) lo = std::min(lo, x), hi = std::max(hi, x), m += x;
  m /= n;
  CHECK(lo >= -2.0);
  CHECK(hi < 3.0);
  // Mean of U(-2, 3) is 0.5, standard error sqrt(25/12/n) = 0.0032: 5 sigma.
  CHECK(std::abs(m - 0.5) < 0.016);

  Tensor z = randn({n}, 11, DType::f64);
  auto w = z.to_vector<double>();
  double mean = 0, var = 0;
  for (double x : w) mean += x;
  mean /= n;
  for (double x : w) var += (x - mean) * (x - mean);
  var /= n;
  CHECK(std::abs(mean) < 5 / std::sqrt(double(n)));
  CHECK(std::abs(var - 1.0) < 5 * std::sqrt(2.0 / n));
}

TEST_CASE("a generator advances: consecutive fills differ", "[random]") {
  Generator g(3);
  Tensor a = Tensor::empty({100}), b = Tensor::empty({100});
  uniform_(a, 0, 1, g);
  uniform_(b, 0, 1, g);
  CHECK(rel_err(a, b) > 0.1);
  Generator h(3);
  Tensor c = Tensor::empty({100});
  uniform_(c, 0, 1, h);
  CHECK(rel_err(a, c) == 0.0);
}

TEST_CASE("glorot uniform stays within Keras's limit", "[random]") {
  Tensor w = Tensor::empty({64, 32, 3, 3});
  Generator g(1);
  glorot_uniform_(w, 32 * 9, 64 * 9, g);
  const double limit = std::sqrt(6.0 / (32 * 9 + 64 * 9));
  double mx = 0;
  for (float x : w.to_vector<float>()) mx = std::max(mx, double(std::abs(x)));
  CHECK(mx <= limit);
  CHECK(mx > 0.95 * limit);
}
