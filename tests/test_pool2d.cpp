#include <cmath>
#include <limits>

#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

// 5x5 plane holding a permutation of 0..24: x[i][j] = 7 * (5i + j) mod 25
//    0  7 14 21  3
//   10 17 24  6 13
//   20  2  9 16 23
//    5 12 19  1  8
//   15 22  4 11 18
Tensor perm5x5() {
  std::vector<float> v(25);
  for (int k = 0; k < 25; ++k) v[k] = static_cast<float>((7 * k) % 25);
  return Tensor::from_vector(v, {1, 1, 5, 5});
}

Tensor iota(const Shape& s, float start = 0.f, float step = 1.f) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  for (size_t k = 0; k < v.size(); ++k) v[k] = start + step * static_cast<float>(k);
  return Tensor::from_vector(v, s);
}

// dx of pool2d(x, p) for the seed gradient dy.
Tensor grad_of(const Tensor& x0, const Pool2dParams& p, const Tensor& dy) {
  Tensor x = x0.clone().set_requires_grad(true);
  pool2d(x, p).backward(dy);
  return x.grad();
}

Pool2dParams params(PoolMode mode, int kh, int kw, int sh, int sw, int ph, int pw, Algo algo = Algo::Default) {
  Pool2dParams p;
  p.mode = mode;
  p.kernel_h = kh, p.kernel_w = kw;
  p.stride_h = sh, p.stride_w = sw;
  p.pad_h = ph, p.pad_w = pw;
  p.algo = algo;
  return p;
}

}  // namespace

TEST_CASE("pool2d 2x2 stride 2 matches hand-computed values", "[pool2d]") {
  // 0..15 in a 4x4 plane: each window's max is its bottom-right pixel and its
  // mean the mean of its four pixels.
  Tensor x = iota({1, 1, 4, 4});
  require_close(max_pool2d(x, 2), {5, 7, 13, 15});
  require_close(avg_pool2d(x, 2), {2.5, 4.5, 10.5, 12.5});
  // Odd sizes floor: 0..34 in 5x7 gives 2x3 windows; the last row and column are dropped.
  Tensor odd = iota({1, 1, 5, 7});
  Tensor y = max_pool2d(odd, 2);
  CHECK(y.shape() == Shape{1, 1, 2, 3});
  require_close(y, {8, 10, 12, 22, 24, 26});
  require_close(avg_pool2d(odd, 2), {4, 6, 8, 18, 20, 22});  // (0+1+7+8)/4, ...
  // Two planes are pooled independently: the second is the first plus 16.
  Tensor two = iota({1, 2, 4, 4});
  require_close(max_pool2d(two, 2), {5, 7, 13, 15, 21, 23, 29, 31});
}

TEST_CASE("pool2d with overlapping 3x3 stride 2 windows and padding", "[pool2d]") {
  Tensor x = perm5x5();
  // No padding: windows at rows/cols {0..2, 2..4}. Window (0,0) sums to 103.
  require_close(max_pool2d(x, 3, 2), {24, 24, 22, 23});
  require_close(avg_pool2d(x, 3, 2), {103.0 / 9, 129.0 / 9, 108.0 / 9, 109.0 / 9}, 1e-5);
  // Padding 1: windows at {-1..1, 1..3, 3..5}, 3x3 outputs; the padded zeros
  // count in the average (divisor always 9).
  require_close(max_pool2d(x, 3, 2, 1), {17, 24, 21, 20, 24, 23, 22, 22, 18});
  require_close(avg_pool2d(x, 3, 2, 1),
                {34.0 / 9, 89.0 / 9, 43.0 / 9, 66.0 / 9, 106.0 / 9, 67.0 / 9, 54.0 / 9, 69.0 / 9, 38.0 / 9}, 1e-5);
}

TEST_CASE("pool2d padding never wins a max and counts in the average", "[pool2d]") {
  // -1..-9 in 3x3, kernel 2, stride 2, padding 1: the corner window holds only
  // x[0][0] and three padded zeros.
  Tensor x = iota({1, 1, 3, 3}, -1.f, -1.f);
  require_close(max_pool2d(x, 2, 2, 1), {-1, -2, -4, -5});
  require_close(avg_pool2d(x, 2, 2, 1), {-0.25, -1.25, -2.75, -7.0});  // (-1)/4, (-2-3)/4, (-4-7)/4, (-5-6-8-9)/4
}

TEST_CASE("pool2d with a rectangular kernel, stride and padding", "[pool2d]") {
  // 0..9 in 2x5, kernel 1x3, stride 1x2, padding 0x1: columns {-1..1, 1..3, 3..5}.
  Tensor x = iota({1, 1, 2, 5});
  Tensor y = pool2d(x, params(PoolMode::Max, 1, 3, 1, 2, 0, 1));
  CHECK(y.shape() == Shape{1, 1, 2, 3});
  require_close(y, {1, 3, 4, 6, 8, 9});
  require_close(pool2d(x, params(PoolMode::Avg, 1, 3, 1, 2, 0, 1)),
                {1.0 / 3, 2.0, 7.0 / 3, 11.0 / 3, 7.0, 17.0 / 3}, 1e-6);
}

TEST_CASE("pool2d backward routes gradients, summing over overlapping windows", "[pool2d][grad]") {
  Tensor x = perm5x5();
  Tensor dy = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  // Max 3x3 stride 2: windows (0,0) and (0,1) share their max 24 at index 7;
  // (1,0) picks 22 at index 21 and (1,1) picks 23 at index 14.
  std::vector<double> expect(25, 0.0);
  expect[7] = 1 + 2, expect[21] = 3, expect[14] = 4;
  require_close(grad_of(x, params(PoolMode::Max, 3, 3, 2, 2, 0, 0), dy), expect);
  // Average 3x3 stride 2 with dy = 9 everywhere: each pixel gets the number of
  // windows covering it (row 2 and column 2 are shared).
  Tensor nine = Tensor::full({1, 1, 2, 2}, 9.0);
  require_close(grad_of(x, params(PoolMode::Avg, 3, 3, 2, 2, 0, 0), nine),
                {1, 1, 2, 1, 1, 1, 1, 2, 1, 1, 2, 2, 4, 2, 2, 1, 1, 2, 1, 1, 1, 1, 2, 1, 1});
  // 2x2 stride 2 on 0..15: each window's gradient lands on its bottom-right pixel.
  std::vector<double> e2(16, 0.0);
  e2[5] = 1, e2[7] = 2, e2[13] = 3, e2[15] = 4;
  require_close(grad_of(iota({1, 1, 4, 4}), params(PoolMode::Max, 2, 2, 2, 2, 0, 0), dy), e2);
}

TEST_CASE("max pooling lets NaN win, the last NaN of a window taking the gradient", "[pool2d][grad]") {
  // PyTorch's rule (a value replaces the max if greater or NaN), on the 2x2
  // stride-2 fast path and on the general window loop (2x2 stride 1 here).
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> v(16);
  for (int k = 0; k < 16; ++k) v[k] = static_cast<float>(k);
  v[1] = nan;             // window (0,0): NaN at index 1, after the 0 at index 0
  v[10] = v[15] = nan;    // window (1,1): NaNs at 10 and 15; 15 comes last
  const Tensor x = Tensor::from_vector(v, {1, 1, 4, 4});
  const Tensor dy = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  const auto y = max_pool2d(x, 2).to_vector<float>();
  CHECK(std::isnan(y[0]));
  CHECK(y[1] == 7.f);
  CHECK(y[2] == 13.f);
  CHECK(std::isnan(y[3]));
  std::vector<double> e(16, 0.0);
  e[1] = 1, e[7] = 2, e[13] = 3, e[15] = 4;
  require_close(grad_of(x, params(PoolMode::Max, 2, 2, 2, 2, 0, 0), dy), e);
  // Stride 1 (3x3 outputs): window (0,0) covers 0, NaN, 4, 5; (1,0) covers
  // 4, 5, 8, 9; (1,1) covers 5, 6, 9, NaN.
  const auto y1 = pool2d(x, params(PoolMode::Max, 2, 2, 1, 1, 0, 0)).to_vector<float>();
  CHECK(std::isnan(y1[0]));
  CHECK(y1[3] == 9.f);
  CHECK(std::isnan(y1[4]));
}

TEST_CASE("pool2d gradients match finite differences", "[pool2d][grad]") {
  // Random normals have no ties, so max pooling is differentiable at them.
  for (PoolMode mode : {PoolMode::Max, PoolMode::Avg}) {
    INFO("mode " << (mode == PoolMode::Max ? "max" : "avg"));
    gradcheck([&](const std::vector<Tensor>& x) { return pool2d(x[0], params(mode, 3, 3, 2, 2, 1, 1)); },
              {randn({2, 3, 7, 6}, 11, DType::f64)});
    gradcheck([&](const std::vector<Tensor>& x) { return pool2d(x[0], params(mode, 2, 2, 2, 2, 0, 0)); },
              {randn({1, 2, 5, 5}, 12, DType::f64)});
    gradcheck([&](const std::vector<Tensor>& x) { return pool2d(x[0], params(mode, 2, 3, 1, 2, 1, 1)); },
              {randn({2, 1, 4, 7}, 13, DType::f64)});
  }
}

TEST_CASE("pool2d matches the definition evaluated directly over many shapes", "[pool2d]") {
  // Sweeps kernels 1..4, strides 1..3 and every legal padding over small odd
  // and even planes, so windows clipped by each border and interior windows
  // (which the CPU backend runs on a separate path) are all covered.
  uint64_t seed = 500;
  for (int k = 1; k <= 4; ++k)
    for (int s = 1; s <= 3; ++s)
      for (int p = 0; p <= k / 2; ++p)
        for (int h : {k, 5, 8})
          for (int w : {k + 1, 7}) {
            Tensor x = randn({2, 1, h, w}, ++seed, DType::f64);
            auto xs = x.to_vector<double>();
            const int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
            std::vector<double> ymax, yavg, dmax(xs.size(), 0.0), davg(xs.size(), 0.0);
            for (int n = 0; n < 2; ++n)
              for (int i = 0; i < oh; ++i)
                for (int j = 0; j < ow; ++j) {
                  double best = -INFINITY, sum = 0;
                  size_t arg = 0;
                  for (int a = i * s - p; a < i * s - p + k; ++a)
                    for (int b = j * s - p; b < j * s - p + k; ++b) {
                      if (a < 0 || a >= h || b < 0 || b >= w) continue;  // padding: 0 in the sum, never a max
                      const size_t q = static_cast<size_t>((n * h + a) * w + b);
                      sum += xs[q];
                      davg[q] += 1.0 / (k * k);
                      if (xs[q] > best) best = xs[q], arg = q;
                    }
                  ymax.push_back(best);
                  yavg.push_back(sum / (k * k));
                  dmax[arg] += 1.0;
                }
            INFO("x (2, 1, " << h << ", " << w << ") k" << k << " s" << s << " p" << p);
            require_close(max_pool2d(x, k, s, p), ymax, 1e-12);
            require_close(avg_pool2d(x, k, s, p), yavg, 1e-12);
            const Tensor ones = Tensor::full({2, 1, oh, ow}, 1.0, DType::f64);
            require_close(grad_of(x, params(PoolMode::Max, k, k, s, s, p, p), ones), dmax, 1e-12);
            require_close(grad_of(x, params(PoolMode::Avg, k, k, s, s, p, p), ones), davg, 1e-12);
          }
}

TEST_CASE("pool2d rejects bad shapes and parameters with a clear error", "[pool2d]") {
  Tensor x = Tensor::zeros({1, 1, 3, 3});
  CHECK_THROWS_WITH(max_pool2d(x, 2, 2, 2), Catch::Contains("padding 2x2 exceeds half the kernel 2x2"));
  CHECK_THROWS_WITH(max_pool2d(x, 5, 1, 0),
                    Catch::Contains("kernel 5x5 is larger than input") && Catch::Contains("(1, 1, 3, 3)"));
  CHECK_THROWS_WITH(avg_pool2d(x, 2, 0), Catch::Contains("stride 0x0"));
  CHECK_THROWS_WITH(max_pool2d(Tensor::zeros({3, 3}), 2), Catch::Contains("pool2d") && Catch::Contains("(3, 3)"));
  CHECK_THROWS_WITH(max_pool2d(Tensor::zeros({1, 1, 4, 4}, DType::i32), 2), Catch::Contains("int32"));
  // A kernel that fits only thanks to padding is accepted: 3x3 + 2 * 1 >= 4.
  CHECK(max_pool2d(x, 4, 1, 1).shape() == Shape{1, 1, 2, 2});
}

TEST_CASE("pool2d on CUDA matches the CPU for every algorithm", "[gpu][pool2d]") {
  require_gpu();
  struct Case {
    Shape shape;
    int k, s, p;
  };
  const std::vector<Case> cases = {
      {{1, 1, 1, 1}, 1, 1, 0},    {{2, 3, 5, 7}, 2, 2, 0},     {{3, 5, 13, 17}, 3, 2, 1},
      {{7, 11, 31, 29}, 3, 1, 1}, {{64, 32, 26, 26}, 2, 2, 0},  // the reference CNN's first pool
      {{16, 64, 57, 57}, 3, 2, 1},
  };
  uint64_t seed = 100;
  for (const Case& c : cases)
    for (PoolMode mode : {PoolMode::Max, PoolMode::Avg}) {
      Tensor x = randn(c.shape, ++seed);
      const Pool2dParams cpu_p = params(mode, c.k, c.k, c.s, c.s, c.p, c.p);
      Tensor xr = x.clone().set_requires_grad(true);
      Tensor yr = pool2d(xr, cpu_p);
      Tensor dy = randn(yr.shape(), ++seed);
      yr.backward(dy);
      for (Algo algo : runnable_algos({Algo::Native, Algo::Cudnn, Algo::Auto})) {
        INFO(c.shape.str() << " k" << c.k << " s" << c.s << " p" << c.p << (mode == PoolMode::Max ? " max " : " avg ")
                           << algo_name(algo));
        Pool2dParams p = cpu_p;
        p.algo = algo;
        Tensor xg = x.to(Device::cuda()).set_requires_grad(true);
        Tensor yg = pool2d(xg, p);
        yg.backward(dy.to(Device::cuda()));
        // float32: a max is an exact copy; an average sums at most 9 terms in
        // another order (< 1e-6 relative), and so do overlapping gradients.
        CHECK(rel_err(yg, yr) <= (mode == PoolMode::Max ? 0.0 : 1e-6));
        CHECK(rel_err(xg.grad(), xr.grad()) <= 1e-6);
      }
    }
}

TEST_CASE("pool2d on CUDA in float64 matches the CPU", "[gpu][pool2d]") {
  require_gpu();
  Tensor x = randn({3, 4, 11, 9}, 7, DType::f64);
  for (PoolMode mode : {PoolMode::Max, PoolMode::Avg})
    for (Algo algo : runnable_algos({Algo::Native, Algo::Cudnn})) {
      INFO((mode == PoolMode::Max ? "max " : "avg ") << algo_name(algo));
      Pool2dParams p = params(mode, 3, 3, 2, 2, 1, 1, algo);
      Tensor xr = x.clone().set_requires_grad(true);
      Tensor yr = pool2d(xr, p);
      Tensor dy = randn(yr.shape(), 8, DType::f64);
      yr.backward(dy);
      Tensor xg = x.to(Device::cuda()).set_requires_grad(true);
      Tensor yg = pool2d(xg, p);
      yg.backward(dy.to(Device::cuda()));
      CHECK(rel_err(yg, yr) <= 1e-14);  // at most 9 float64 terms reordered
      CHECK(rel_err(xg.grad(), xr.grad()) <= 1e-14);
    }
}
