#include <tuple>

#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

struct Geometry {
  int64_t n, c, h, w, o, kh, kw;
  int stride_h, stride_w, pad_h, pad_w;
  int64_t oh() const { return (h + 2 * pad_h - kh) / stride_h + 1; }
  int64_t ow() const { return (w + 2 * pad_w - kw) / stride_w + 1; }
  Conv2dParams params(Algo algo = Algo::Default) const { return {stride_h, stride_w, pad_h, pad_w, algo}; }
};

// The textbook definition, seven nested loops in double: the independent
// reference for the im2col + GEMM backends. Visits (image, out channel, out
// pixel, tap) and calls f(y index, x index, w index) for every in-bounds tap.
template <class F>
void for_each_tap(const Geometry& g, F&& f) {
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t o = 0; o < g.o; ++o)
      for (int64_t i = 0; i < g.oh(); ++i)
        for (int64_t j = 0; j < g.ow(); ++j)
          for (int64_t c = 0; c < g.c; ++c)
            for (int64_t a = 0; a < g.kh; ++a)
              for (int64_t b = 0; b < g.kw; ++b) {
                const int64_t ih = i * g.stride_h - g.pad_h + a, iw = j * g.stride_w - g.pad_w + b;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                f(((n * g.o + o) * g.oh() + i) * g.ow() + j, ((n * g.c + c) * g.h + ih) * g.w + iw,
                  ((o * g.c + c) * g.kh + a) * g.kw + b);
              }
}

std::vector<double> naive_forward(const Geometry& g, const Tensor& x, const Tensor& w, const Tensor& b) {
  auto xs = as_doubles(x), ws = as_doubles(w);
  std::vector<double> y(static_cast<size_t>(g.n * g.o * g.oh() * g.ow()), 0.0);
  if (b.defined()) {
    auto bs = as_doubles(b);
    for (size_t k = 0; k < y.size(); ++k) y[k] = bs[(k / (g.oh() * g.ow())) % g.o];
  }
  for_each_tap(g, [&](int64_t yi, int64_t xi, int64_t wi) { y[yi] += xs[xi] * ws[wi]; });
  return y;
}

// Gradients of sum(y * dy) by the same loops.
struct NaiveGrads {
  std::vector<double> dx, dw, db;
};
NaiveGrads naive_backward(const Geometry& g, const Tensor& x, const Tensor& w, const Tensor& dy) {
  auto xs = as_doubles(x), ws = as_doubles(w), dys = as_doubles(dy);
  NaiveGrads r{std::vector<double>(xs.size(), 0.0), std::vector<double>(ws.size(), 0.0),
               std::vector<double>(static_cast<size_t>(g.o), 0.0)};
  for_each_tap(g, [&](int64_t yi, int64_t xi, int64_t wi) {
    r.dx[xi] += dys[yi] * ws[wi];
    r.dw[wi] += dys[yi] * xs[xi];
  });
  for (size_t k = 0; k < dys.size(); ++k) r.db[(k / (g.oh() * g.ow())) % g.o] += dys[k];
  return r;
}

Tensor as_tensor(const std::vector<double>& v, const Shape& s) { return Tensor::from_vector<double>(v, s); }

// x = 1..16 as a 4x4 image, w = 1..9 as a 3x3 kernel, bias 0.5.
Tensor iota(int64_t count, const Shape& s) {
  std::vector<float> v(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) v[i] = static_cast<float>(i + 1);
  return Tensor::from_vector<float>(v, s);
}

}  // namespace

TEST_CASE("conv2d matches hand-computed values on a 4x4 image", "[conv2d]") {
  const Tensor x = iota(16, {1, 1, 4, 4}), w = iota(9, {1, 1, 3, 3});
  const Tensor b = Tensor::from_vector<float>({0.5f}, {1});

  // Valid: the top-left window is rows (1 2 3 | 5 6 7 | 9 10 11) . (1..9)
  // = 14 + 92 + 242 = 348; one step right adds sum(w) = 45, one step down 4 * 45.
  require_close(conv2d(x, w, b, {}), {348.5, 393.5, 528.5, 573.5});

  // Stride 2, padding 1: windows centred on x(0,0), x(0,2), x(2,0), x(2,2).
  //   (0,0): 1*5 + 2*6 + 5*8 + 6*9 = 111
  //   (0,2): (2 3 4).(4 5 6) + (6 7 8).(7 8 9) = 47 + 170 = 217
  //   (2,0): (5 6).(2 3) + (9 10).(5 6) + (13 14).(8 9) = 28 + 105 + 230 = 363
  //   (2,2): the whole window rows 1..3, cols 1..3 = 573
  require_close(conv2d(x, w, b, {2, 2, 1, 1}), {111.5, 217.5, 363.5, 573.5});

  // 'Same' padding keeps 4x4; corners by hand, the rest from the naive loops.
  //   (0,0): 111 as above; (3,3): (11 12).(1 2) + (15 16).(4 5) = 35 + 140 = 175
  const int pad = same_padding(3);
  Tensor same = conv2d(x, w, b, {1, 1, pad, pad});
  REQUIRE(same.shape() == Shape({1, 1, 4, 4}));
  auto got = as_doubles(same);
  CHECK(got[0] == Approx(111.5));
  CHECK(got[15] == Approx(175.5));
  const Geometry g{1, 1, 4, 4, 1, 3, 3, 1, 1, pad, pad};
  require_close(same, naive_forward(g, x, w, b));

  // No bias: the valid result less 0.5.
  require_close(conv2d(x, w, Tensor(), {}), {348, 393, 528, 573});
}

TEST_CASE("conv2d gradients match hand-computed values", "[conv2d][grad]") {
  // Valid 3x3 over 4x4 with dy = 1 everywhere: db = 4 outputs; dw(a, b) sums the
  // 2x2 block of x at (a, b), e.g. dw(0,0) = 1 + 2 + 5 + 6 = 14, one step right
  // adds 4, one step down 16; dx(i, j) = sum of w over the taps that reach it,
  // e.g. dx(0,0) = w(0,0) = 1, dx(1,1) = w(0,0) + w(0,1) + w(1,0) + w(1,1) = 12.
  Tensor x = iota(16, {1, 1, 4, 4}).set_requires_grad(true);
  Tensor w = iota(9, {1, 1, 3, 3}).set_requires_grad(true);
  Tensor b = Tensor::from_vector<float>({0.5f}, {1}).set_requires_grad(true);
  conv2d(x, w, b, {}).backward(Tensor::full({1, 1, 2, 2}, 1.0));
  require_close(b.grad(), {4});
  require_close(w.grad(), {14, 18, 22, 30, 34, 38, 46, 50, 54});
  require_close(x.grad(), {1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9});
}

TEST_CASE("conv2d matches naive loops on odd sizes and several channels", "[conv2d]") {
  const Geometry shapes[] = {
      {2, 3, 7, 5, 4, 3, 3, 1, 1, 0, 0},   // odd sizes, several channels
      {3, 2, 9, 8, 5, 3, 2, 2, 3, 1, 2},   // non-square kernel, uneven stride and padding
      {1, 5, 6, 6, 3, 1, 1, 1, 1, 0, 0},   // 1x1
      {2, 4, 5, 5, 2, 5, 5, 1, 1, 2, 2},   // 5x5 'same'
      {64, 64, 5, 5, 64, 3, 3, 1, 1, 0, 0},  // the last MNIST layer: batched GEMM over many images
  };
  for (const Geometry& g : shapes) {
    INFO("x(" << g.n << "," << g.c << "," << g.h << "," << g.w << ") w(" << g.o << "," << g.c << "," << g.kh << ","
              << g.kw << ") stride " << g.stride_h << "," << g.stride_w << " pad " << g.pad_h << "," << g.pad_w);
    for (DType dt : {DType::f32, DType::f64}) {
      Tensor x = randn({g.n, g.c, g.h, g.w}, 1, dt).set_requires_grad(true);
      Tensor w = randn({g.o, g.c, g.kh, g.kw}, 2, dt).set_requires_grad(true);
      Tensor b = randn({g.o}, 3, dt).set_requires_grad(true);
      Tensor y = conv2d(x, w, b, g.params());
      REQUIRE(y.shape() == Shape({g.n, g.o, g.oh(), g.ow()}));
      // float32 sums of at most c*kh*kw = 576 products of N(0,1) values: errors
      // near 1e-6 relative; float64 is exact to ~1e-15.
      const double tol = dt == DType::f32 ? 1e-5 : 1e-12;
      CHECK(rel_err(y, as_tensor(naive_forward(g, x, w, b), y.shape())) < tol);
      Tensor dy = randn(y.shape(), 4, dt);
      y.backward(dy);
      NaiveGrads ref = naive_backward(g, x, w, dy);
      CHECK(rel_err(x.grad(), as_tensor(ref.dx, x.shape())) < tol);
      CHECK(rel_err(w.grad(), as_tensor(ref.dw, w.shape())) < tol);
      CHECK(rel_err(b.grad(), as_tensor(ref.db, b.shape())) < tol);
    }
  }
}

TEST_CASE("conv2d gradients match finite differences", "[conv2d][grad]") {
  using P = std::tuple<int, int, int, int>;  // stride_h, stride_w, pad_h, pad_w
  for (auto [sh, sw, ph, pw] :
       {P{1, 1, 0, 0}, P{2, 2, 0, 0}, P{1, 1, 1, 1}, P{2, 2, 1, 1}, P{2, 1, 0, 2}, P{3, 2, 2, 1}}) {
    INFO("stride " << sh << "," << sw << " pad " << ph << "," << pw);
    const Conv2dParams p{sh, sw, ph, pw, Algo::Default};
    Tensor x = randn({2, 3, 6, 5}, 11, DType::f64), w = randn({4, 3, 3, 2}, 12, DType::f64);
    Tensor b = randn({4}, 13, DType::f64);
    gradcheck([p](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], in[2], p); }, {x, w, b});
    gradcheck([p](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], Tensor(), p); },
              {x.clone(), w.clone()});
  }
}

TEST_CASE("conv2d computes only the gradients that are needed", "[conv2d][grad]") {
  Tensor x = randn({2, 1, 5, 5}, 21);  // an input image: no gradient
  Tensor w = randn({3, 1, 3, 3}, 22).set_requires_grad(true);
  conv2d(x, w, Tensor(), {}).backward(randn({2, 3, 3, 3}, 23));
  CHECK_FALSE(x.grad().defined());
  CHECK(w.grad().defined());
}

TEST_CASE("conv2d names the shapes in its errors", "[conv2d]") {
  const Tensor x = Tensor::zeros({2, 3, 8, 8}), w = Tensor::zeros({4, 3, 3, 3});
  CHECK_THROWS_WITH(conv2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor(), {}),
                    Catch::Contains("3 channels") && Catch::Contains("(2, 3, 8, 8)") &&
                        Catch::Contains("(4, 2, 3, 3)"));
  CHECK_THROWS_WITH(conv2d(x, Tensor::zeros({4, 3, 9, 3}), Tensor(), {}),
                    Catch::Contains("larger than input") && Catch::Contains("(4, 3, 9, 3)"));
  CHECK_NOTHROW(conv2d(x, Tensor::zeros({4, 3, 9, 3}), Tensor(), {1, 1, 1, 0}));  // fits once padded
  CHECK_THROWS_WITH(conv2d(x, w, Tensor(), {0, 1, 0, 0}), Catch::Contains("stride must be positive"));
  CHECK_THROWS_WITH(conv2d(x, w, Tensor(), {1, 1, -1, 0}), Catch::Contains("padding must be non-negative"));
  CHECK_THROWS_WITH(conv2d(Tensor::zeros({3, 8, 8}), w, Tensor(), {}),
                    Catch::Contains("4 dimensions") && Catch::Contains("(3, 8, 8)"));
  CHECK_THROWS_WITH(conv2d(x, Tensor::zeros({4, 3, 3}), Tensor(), {}), Catch::Contains("weight"));
  CHECK_THROWS_WITH(conv2d(x, Tensor::zeros({4, 3, 3, 3}, DType::f64), Tensor(), {}),
                    Catch::Contains("dtype mismatch"));
  CHECK_THROWS_WITH(conv2d(Tensor::zeros({2, 3, 8, 8}, DType::i32), Tensor::zeros({4, 3, 3, 3}, DType::i32),
                           Tensor(), {}),
                    Catch::Contains("int32"));
  CHECK_THROWS_WITH(conv2d(x, w, Tensor::zeros({5}), {}), Catch::Contains("bias") && Catch::Contains("(5,)"));
  CHECK_THROWS_WITH(conv2d(Tensor::zeros({0, 3, 8, 8}), w, Tensor(), {}), Catch::Contains("empty"));
}

// ---------------------------------------------------------------- CUDA vs CPU

namespace {

// Every CUDA implementation against the CPU backend on the same random inputs:
// the output and all three gradients. The CPU reference is itself float32, so
// the tolerance covers both sides' rounding: a sum of L products of N(0,1)
// values carries a relative error near sqrt(L) * 6e-8 per side, and L reaches
// c*kh*kw = 576 (forward), o*kh*kw = 576 (data) and n*oh*ow = 43,264 (filter,
// first MNIST layer): at most ~1.3e-5. 1e-4 leaves room for cuDNN's Winograd
// and FFT algorithms, whose transforms add a few ulps. TF32 stays off.
void compare_with_cpu(const Geometry& g, Algo algo) {
  INFO("algo " << algo_name(algo) << " x(" << g.n << "," << g.c << "," << g.h << "," << g.w << ") w(" << g.o << ","
               << g.c << "," << g.kh << "," << g.kw << ") stride " << g.stride_h << "," << g.stride_w << " pad "
               << g.pad_h << "," << g.pad_w);
  constexpr double kTol = 1e-4;
  const Device gpu = Device::cuda(0);
  Tensor x = randn({g.n, g.c, g.h, g.w}, 31), w = randn({g.o, g.c, g.kh, g.kw}, 32), b = randn({g.o}, 33);
  Tensor dy = randn({g.n, g.o, g.oh(), g.ow()}, 34);
  Tensor xg = leaf(x, gpu), wg = leaf(w, gpu);
  Tensor bg = leaf(b, gpu);
  x.set_requires_grad(true), w.set_requires_grad(true), b.set_requires_grad(true);

  Tensor y = conv2d(x, w, b, g.params());
  y.backward(dy);
  Tensor yg = conv2d(xg, wg, bg, g.params(algo));
  yg.backward(dy.to(gpu));
  CHECK(rel_err(yg, y) < kTol);
  CHECK(rel_err(xg.grad(), x.grad()) < kTol);
  CHECK(rel_err(wg.grad(), w.grad()) < kTol);
  CHECK(rel_err(bg.grad(), b.grad()) < kTol);
}

const Geometry kGpuShapes[] = {
    {1, 3, 7, 7, 5, 5, 5, 1, 1, 2, 2},        // N=1, 5x5 'same'
    {2, 7, 11, 13, 3, 1, 1, 1, 1, 0, 0},      // 1x1, primes
    {3, 5, 17, 17, 11, 3, 3, 2, 2, 1, 1},     // stride 2, pad 1
    {1, 13, 9, 23, 17, 3, 5, 2, 1, 1, 2},     // non-square kernel, uneven stride and padding
    {5, 67, 19, 19, 131, 3, 3, 1, 1, 1, 1},   // more channels than one tile
    {64, 1, 28, 28, 32, 3, 3, 1, 1, 0, 0},    // the three MNIST layers
    {64, 32, 13, 13, 64, 3, 3, 1, 1, 0, 0},
    {64, 64, 5, 5, 64, 3, 3, 1, 1, 0, 0},
};

}  // namespace

TEST_CASE("conv2d native CUDA kernels match the CPU", "[conv2d][gpu]") {
  require_gpu();
  for (const Geometry& g : kGpuShapes) compare_with_cpu(g, Algo::Native);
}

TEST_CASE("conv2d cuDNN matches the CPU", "[conv2d][gpu]") {
  require_gpu();
  require_vendor_libraries();
  for (const Geometry& g : kGpuShapes) compare_with_cpu(g, Algo::Cudnn);
}

TEST_CASE("conv2d auto matches the CPU", "[conv2d][gpu]") {
  require_gpu();
  for (const Geometry& g : kGpuShapes) compare_with_cpu(g, Algo::Auto);
}

TEST_CASE("conv2d CUDA (native and cuDNN) handles float64", "[conv2d][gpu]") {
  require_gpu();
  const Geometry g{2, 3, 9, 7, 4, 3, 3, 2, 1, 1, 0};
  Tensor x = randn({g.n, g.c, g.h, g.w}, 41, DType::f64), w = randn({g.o, g.c, g.kh, g.kw}, 42, DType::f64);
  Tensor b = randn({g.o}, 43, DType::f64);
  for (Algo a : runnable_algos({Algo::Native, Algo::Cudnn})) {
    INFO("algo " << algo_name(a));
    Tensor yg = conv2d(x.to(Device::cuda(0)), w.to(Device::cuda(0)), b.to(Device::cuda(0)), g.params(a));
    CHECK(rel_err(yg, conv2d(x, w, b, g.params())) < 1e-12);
  }
}
