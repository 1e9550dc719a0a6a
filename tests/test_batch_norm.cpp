#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

struct Buffers {
  Tensor gamma, beta, mean, var;
};

Buffers buffers(std::vector<float> gamma, std::vector<float> beta, std::vector<float> mean, std::vector<float> var) {
  const int64_t c = static_cast<int64_t>(gamma.size());
  return {Tensor::from_vector(gamma, {c}), Tensor::from_vector(beta, {c}), Tensor::from_vector(mean, {c}),
          Tensor::from_vector(var, {c})};
}

BatchNormParams params(bool training, double momentum = 0.1, Algo algo = Algo::Default) {
  BatchNormParams p;
  p.training = training;
  p.momentum = momentum;
  p.algo = algo;
  return p;
}

// x (2, 2, 1, 2). Channel 0 holds {1, 2, 3, 6}: mean 3, squared deviations
// 4 + 1 + 0 + 9 = 14, biased variance 3.5, unbiased 14/3. Channel 1 holds
// {-1, 0, 1, 4}: mean 1 and the same deviations.
Tensor small_x() { return Tensor::from_vector<float>({1, 2, -1, 0, 3, 6, 1, 4}, {2, 2, 1, 2}); }

}  // namespace

TEST_CASE("batch_norm training normalises with batch statistics", "[batch_norm]") {
  Buffers b = buffers({2, 0.5f}, {0.5f, -1}, {0, 0}, {1, 1});
  Tensor y = batch_norm(small_x(), b.gamma, b.beta, b.mean, b.var, params(true));
  // y = gamma * (x - mean) / sqrt(3.5 + 1e-5) + beta, e.g. 2 * (1 - 3) / 1.8708314 + 0.5 = -1.6380869.
  require_close(y, {-1.6380868809, -0.5690434404, -1.5345217202, -1.2672608601, 0.5, 3.7071303213, -1.0,
                    -0.1982174197},
                1e-6);
  // running = 0.9 * running + 0.1 * batch: mean 0.1 * {3, 1}; var 0.9 + 0.1 * 14/3.
  require_close(b.mean, {0.3, 0.1});
  require_close(b.var, {1.3666666667, 1.3666666667});
}

TEST_CASE("batch_norm running buffers follow the momentum", "[batch_norm]") {
  Buffers b = buffers({1, 1}, {0, 0}, {1, -1}, {2, 0.5f});
  batch_norm(small_x(), b.gamma, b.beta, b.mean, b.var, params(true, 0.25));
  // mean: 0.75 * {1, -1} + 0.25 * {3, 1}; var: 0.75 * {2, 0.5} + 0.25 * 14/3.
  require_close(b.mean, {1.5, -0.5});
  require_close(b.var, {2.6666666667, 1.5416666667});
}

TEST_CASE("batch_norm evaluation uses and keeps the running statistics", "[batch_norm]") {
  // The buffers after the training step above.
  Buffers b = buffers({2, 0.5f}, {0.5f, -1}, {0.3f, 0.1f}, {1.3666666667f, 1.3666666667f});
  Tensor y = batch_norm(small_x(), b.gamma, b.beta, b.mean, b.var, params(false));
  // y = gamma * (x - running_mean) / sqrt(running_var + 1e-5) + beta, e.g. 2 * 0.7 / 1.1690... + 0.5.
  require_close(y, {1.6975541106, 3.4083456971, -1.4704676863, -1.0427697897, 5.1191372837, 10.2515120434,
                    -0.615071893, 0.6680217969},
                1e-5);
  require_close(b.mean, {0.3, 0.1});
  require_close(b.var, {1.3666666667, 1.3666666667});
}

TEST_CASE("batch_norm on (N, C) normalises each column over the batch", "[batch_norm]") {
  // Column 0 {1, 2, 3}: mean 2, biased var 2/3; column 1 {10, 20, 60}: mean 30, var 1400/3.
  Tensor x = Tensor::from_vector<float>({1, 10, 2, 20, 3, 60}, {3, 2});
  Buffers b = buffers({1, 1}, {0, 0}, {0, 0}, {1, 1});
  require_close(batch_norm(x, b.gamma, b.beta, b.mean, b.var, params(true)),
                {-1.2247356859, -0.9258200899, 0.0, -0.4629100449, 1.2247356859, 1.3887301348}, 1e-6);
  require_close(b.mean, {0.2, 3.0});        // 0.1 * {2, 30}
  require_close(b.var, {1.0, 70.9}, 1e-5);  // 0.9 + 0.1 * {1, 700} (unbiased)
}

TEST_CASE("batch_norm gradients match finite differences", "[batch_norm][grad]") {
  for (bool training : {true, false}) {
    INFO((training ? "training" : "eval"));
    for (const Shape& s : {Shape{3, 4, 2, 3}, Shape{5, 3}}) {
      INFO(s.str());
      const int64_t c = s[1];
      Tensor rm = randn({c}, 21, DType::f64), rv = randu({c}, 22, 0.5, 2.0, DType::f64);
      BatchNormParams p = params(training);
      gradcheck([&](const std::vector<Tensor>& in) { return batch_norm(in[0], in[1], in[2], rm, rv, p); },
                {randn(s, 23, DType::f64), randu({c}, 24, 0.5, 1.5, DType::f64), randn({c}, 25, DType::f64)});
    }
  }
}

TEST_CASE("batch_norm rejects mismatched inputs with a clear error", "[batch_norm]") {
  Buffers b = buffers({1, 1}, {0, 0}, {0, 0}, {1, 1});
  CHECK_THROWS_WITH(batch_norm(Tensor::zeros({2, 3, 4, 4}), b.gamma, b.beta, b.mean, b.var, params(true)),
                    Catch::Contains("gamma") && Catch::Contains("(2,)") && Catch::Contains("(2, 3, 4, 4)"));
  CHECK_THROWS_WITH(batch_norm(Tensor::zeros({2, 2, 4}), b.gamma, b.beta, b.mean, b.var, params(true)),
                    Catch::Contains("(N, C) or (N, C, H, W)"));
  CHECK_THROWS_WITH(batch_norm(Tensor::zeros({1, 2}), b.gamma, b.beta, b.mean, b.var, params(true)),
                    Catch::Contains("more than one value per channel"));
  CHECK_THROWS_WITH(batch_norm(Tensor::zeros({4, 2}, DType::f64), b.gamma, b.beta, b.mean, b.var, params(true)),
                    Catch::Contains("dtype mismatch"));
  BatchNormParams bad = params(true);
  bad.eps = 0;
  CHECK_THROWS_WITH(batch_norm(Tensor::zeros({4, 2}), b.gamma, b.beta, b.mean, b.var, bad),
                    Catch::Contains("eps"));
  // One value per channel is fine in evaluation.
  CHECK(batch_norm(Tensor::zeros({1, 2}), b.gamma, b.beta, b.mean, b.var, params(false)).shape() == Shape{1, 2});
}

TEST_CASE("batch_norm on CUDA matches the CPU for every algorithm", "[gpu][batch_norm]") {
  require_gpu();
  // Three values per channel at least: with two, training maps them to about
  // +-1 whatever they are and dx is rounding noise.
  const std::vector<Shape> shapes = {{3, 1},       {7, 3},         {64, 64},         {3, 17, 1, 1},
                                     {2, 3, 5, 7}, {128, 5, 3, 3}, {64, 32, 26, 26}, {16, 64, 57, 57}};
  uint64_t seed = 300;
  for (const Shape& s : shapes)
    for (bool training : {true, false}) {
      const int64_t c = s[1];
      // A mean far from zero checks the variance is not taken as E[x^2] - E[x]^2.
      Tensor x = add_scalar(randn(s, ++seed), 3.0);
      Tensor gamma = randu({c}, ++seed, 0.5, 1.5), beta = randn({c}, ++seed);
      Tensor rm0 = randn({c}, ++seed), rv0 = randu({c}, ++seed, 0.5, 2.0);
      const BatchNormParams cpu_p = params(training);
      Tensor xr = x.clone().set_requires_grad(true), gr = gamma.clone().set_requires_grad(true),
             br = beta.clone().set_requires_grad(true), rmr = rm0.clone(), rvr = rv0.clone();
      Tensor yr = batch_norm(xr, gr, br, rmr, rvr, cpu_p);
      Tensor dy = randn(s, ++seed);
      yr.backward(dy);
      for (Algo algo : runnable_algos({Algo::Native, Algo::Cudnn, Algo::Auto})) {
        INFO(s.str() << (training ? " training " : " eval ") << algo_name(algo));
        const Device dev = Device::cuda();
        BatchNormParams p = cpu_p;
        p.algo = algo;
        Tensor xg = leaf(x, dev), gg = leaf(gamma, dev),
               bg = leaf(beta, dev), rmg = rm0.to(dev), rvg = rv0.to(dev);
        Tensor yg = batch_norm(xg, gg, bg, rmg, rvg, p);
        yg.backward(dy.to(dev));
        // The native kernels sum in double like the CPU; cuDNN may sum float32 over
        // up to 52k values per channel, about 1e-6 relative on a mean near 3,
        // which shifts a whole channel of y alike. dx adds the cancellation of
        // dy - mean(dy) - x_hat * mean(dy * x_hat).
        CHECK(rel_err(yg, yr) <= 2e-5);
        CHECK(rel_err(rmg, rmr) <= 1e-5);
        CHECK(rel_err(rvg, rvr) <= 1e-5);
        CHECK(rel_err(xg.grad(), xr.grad()) <= 1e-4);
        CHECK(rel_err(gg.grad(), gr.grad()) <= 1e-4);
        CHECK(rel_err(bg.grad(), br.grad()) <= 1e-5);
      }
    }
}

TEST_CASE("batch_norm on CUDA in float64 matches the CPU", "[gpu][batch_norm]") {
  require_gpu();
  const Shape s{6, 5, 7, 3};
  Tensor x = randn(s, 1, DType::f64), gamma = randu({5}, 2, 0.5, 1.5, DType::f64), beta = randn({5}, 3, DType::f64);
  Tensor dy = randn(s, 4, DType::f64);
  Tensor rm = Tensor::zeros({5}, DType::f64), rv = Tensor::full({5}, 1.0, DType::f64);
  Tensor xr = x.clone().set_requires_grad(true), rmr = rm.clone(), rvr = rv.clone();
  batch_norm(xr, gamma, beta, rmr, rvr, params(true)).backward(dy);
  for (Algo algo : runnable_algos({Algo::Native, Algo::Cudnn})) {
    INFO(algo_name(algo));
    const Device dev = Device::cuda();
    Tensor xg = leaf(x, dev), rmg = rm.to(dev), rvg = rv.to(dev);
    batch_norm(xg, gamma.to(dev), beta.to(dev), rmg, rvg, params(true, 0.1, algo)).backward(dy.to(dev));
    CHECK(rel_err(rmg, rmr) <= 1e-12);  // sums of 126 float64 values per channel
    CHECK(rel_err(rvg, rvr) <= 1e-12);
    CHECK(rel_err(xg.grad(), xr.grad()) <= 1e-12);
  }
}
