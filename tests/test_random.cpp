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

TEST_CASE("random_bits is Philox-4x32-10, the generator behind the fills", "[random]") {
  // Random123's known answer (kat_vectors: philox4x32 10 rounds, counter and key
  // zero): 6627e8d5 e169c58d bc57ac4c 9b00dbd8; random_bits is the first two words.
  CHECK(random_bits(0, 0) == 0x6627e8d5e169c58dull);
  // The fills draw from the same words: uniform element i of a fresh generator
  // is word i of counter i / 4, its top 24 bits scaled to [0, 1).
  Generator g(77);
  Tensor u = Tensor::empty({2}, DType::f64);
  uniform_(u, 0.0, 1.0, g);
  const uint64_t bits = random_bits(77, 0);
  require_close(u, {static_cast<double>(static_cast<uint32_t>(bits >> 32) >> 8) / 16777216.0,
                    static_cast<double>(static_cast<uint32_t>(bits) >> 8) / 16777216.0},
                0);
}
