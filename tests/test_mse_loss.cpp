#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

// pred [1, 2, 3, 4], target [1.5, 2, 1, 5]: differences [-0.5, 0, 2, -1],
// squares [0.25, 0, 4, 1], mean 5.25 / 4 = 1.3125. d/dpred = 2 (pred - target) / 4
// = [-0.25, 0, 1, -0.5]; d/dtarget is its negation.
TEST_CASE("mse_loss matches hand-computed values", "[mse_loss]") {
  Tensor pred = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2}).set_requires_grad(true);
  Tensor target = Tensor::from_vector<float>({1.5f, 2, 1, 5}, {2, 2}).set_requires_grad(true);
  Tensor loss = mse_loss(pred, target);
  CHECK(loss.dim() == 0);
  require_close(loss, {1.3125});
  loss.backward();
  require_close(pred.grad(), {-0.25, 0, 1, -0.5});
  require_close(target.grad(), {0.25, 0, -1, 0.5});
}

TEST_CASE("mse_loss flows a gradient only where one is needed", "[mse_loss]") {
  Tensor pred = Tensor::from_vector<float>({3, -1}, {2}).set_requires_grad(true);
  Tensor target = Tensor::from_vector<float>({1, 1}, {2});
  mse_loss(pred, target).backward();  // mean of [4, 4]; gradient (pred - target) = [2, -2]
  require_close(pred.grad(), {2, -2});
  CHECK_FALSE(target.grad().defined());
}

TEST_CASE("mse_loss rejects mismatched inputs", "[mse_loss]") {
  CHECK_THROWS_WITH(mse_loss(Tensor::zeros({2, 3}), Tensor::zeros({3, 2})),
                    Catch::Contains("mse_loss") && Catch::Contains("(2, 3)") && Catch::Contains("(3, 2)"));
  CHECK_THROWS_WITH(mse_loss(Tensor::zeros({2}), Tensor::zeros({2}, DType::f64)), Catch::Contains("dtype mismatch"));
  CHECK_THROWS_WITH(mse_loss(Tensor::zeros({0}), Tensor::zeros({0})), Catch::Contains("empty"));
}

TEST_CASE("mse_loss gradients match finite differences", "[mse_loss][grad]") {
  gradcheck([](const std::vector<Tensor>& v) { return mse_loss(v[0], v[1]); },
            {randn({3, 5}, 41, DType::f64), randn({3, 5}, 42, DType::f64)});
}

TEST_CASE("CUDA mse_loss matches the CPU backend", "[mse_loss][gpu]") {
  require_gpu();
  const Device gpu = Device::cuda(0);
  for (int64_t n : {1, 7, 257, 4099, 1 << 20}) {
    INFO("n = " << n);
    Tensor a = randn({n}, 50 + n), b = randn({n}, 60 + n);
    auto run = [&](Device d) {
      Tensor x = leaf(a, d), y = leaf(b, d);
      Tensor loss = mse_loss(x, y);
      scale(loss, 3.0).backward();  // a non-unit upstream gradient, read on the device
      return std::vector<Tensor>{loss, x.grad(), y.grad()};
    };
    auto ref = run(Device::cpu());
    auto got = run(gpu);
    // float32: the mean sums up to 1e6 squares in float (relative error well under 1e-5);
    // the gradients are one subtraction and one multiply (exact to 1 ulp).
    CHECK(rel_err(got[0], ref[0]) < 1e-5);
    CHECK(rel_err(got[1], ref[1]) < 1e-6);
    CHECK(rel_err(got[2], ref[2]) < 1e-6);
  }
}
