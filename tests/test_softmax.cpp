#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

// Row [1, 2, 3]: e^1 = 2.718281828, e^2 = 7.389056099, e^3 = 20.085536923,
// sum 30.192874850 -> [0.0900305732, 0.2447284711, 0.6652409558];
// logsumexp = 3 + log(1 + e^-1 + e^-2) = 3.4076059644, so log_softmax = x - 3.4076059644.
// Row [0, 0, 0]: 1/3 each, log_softmax -log 3 = -1.0986122887.
TEST_CASE("softmax and log_softmax match hand-computed values", "[softmax]") {
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 0, 0, 0}, {2, 3});
  require_close(softmax(x), {0.0900305732, 0.2447284711, 0.6652409558, 1 / 3.0, 1 / 3.0, 1 / 3.0});
  require_close(log_softmax(x),
                {-2.4076059644, -1.4076059644, -0.4076059644, -1.0986122887, -1.0986122887, -1.0986122887});
  // Every row sums to one, whatever the scale.
  Tensor r = randn({5, 17}, 3);
  Tensor s = sum(softmax(scale(r, 30.0)), 1);
  require_close(s, {1, 1, 1, 1, 1}, 1e-6);
}

// exp(1000) overflows float and double: only a max-subtracted softmax stays finite.
// [1000, -1000, 0] -> [1, 0, 0] (e^-1000 and e^-2000 underflow to 0), log [0, -2000, -1000];
// [1000, 1000, 1000] -> 1/3 each, log -log 3.
TEST_CASE("softmax stays finite and exact for extreme logits", "[softmax]") {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor x = cast(Tensor::from_vector<float>({1000, -1000, 0, 1000, 1000, 1000}, {2, 3}), dt);
    require_close(softmax(x), {1, 0, 0, 1 / 3.0, 1 / 3.0, 1 / 3.0});
    require_close(log_softmax(x), {0, -2000, -1000, -1.0986122887, -1.0986122887, -1.0986122887});
  }
}

TEST_CASE("softmax handles a single column and rejects bad input", "[softmax]") {
  require_close(softmax(Tensor::from_vector<float>({5, -7}, {2, 1})), {1, 1});
  require_close(log_softmax(Tensor::from_vector<float>({5, -7}, {2, 1})), {0, 0});
  CHECK_THROWS_WITH(softmax(Tensor::zeros({2, 3, 4})), Catch::Contains("softmax") && Catch::Contains("2 dimensions"));
  CHECK_THROWS_WITH(log_softmax(Tensor::zeros({2, 3}, DType::i32)), Catch::Contains("int32"));
  CHECK_THROWS_WITH(softmax(Tensor::zeros({2, 3}), Algo::Cublas), Catch::Contains("softmax"));
  // On the CPU the algorithm is accepted and ignored.
  require_close(softmax(Tensor::zeros({1, 2}), Algo::Cudnn), {0.5, 0.5});
}

TEST_CASE("softmax gradients match finite differences", "[softmax][grad]") {
  Tensor x = randn({4, 7}, 11, DType::f64);
  gradcheck([](const std::vector<Tensor>& v) { return softmax(v[0]); }, {x.clone()});
  gradcheck([](const std::vector<Tensor>& v) { return log_softmax(v[0]); }, {x.clone()});
  Tensor wide = scale(randn({2, 40}, 12, DType::f64), 5.0);
  gradcheck([](const std::vector<Tensor>& v) { return softmax(v[0]); }, {wide.clone()});
  gradcheck([](const std::vector<Tensor>& v) { return log_softmax(v[0]); }, {wide.clone()});
}

// Shapes around the warp/block switch (1024 columns), single rows and columns,
// primes, and a batch large enough to need several waves of blocks.
static const std::vector<std::pair<int64_t, int64_t>> kShapes = {
    {1, 1}, {7, 10}, {64, 10}, {3, 31}, {5, 33}, {2, 1023}, {3, 1024}, {3, 1025}, {13, 4099}, {20011, 10}, {2, 100003}};

TEST_CASE("CUDA softmax (native, cudnn, auto) matches the CPU backend", "[softmax][gpu]") {
  require_gpu();
  const Device gpu = Device::cuda(0);
  for (Algo algo : runnable_algos({Algo::Native, Algo::Cudnn, Algo::Auto})) {
    for (auto [n, k] : kShapes) {
      INFO(algo_name(algo) << " " << n << "x" << k);
      Tensor x = scale(randn({n, k}, 100 + n + k), 4.0);
      Tensor dy = randn({n, k}, 200 + n + k);
      for (bool log : {false, true}) {
        INFO((log ? "log_softmax" : "softmax"));
        auto run = [&](const Device d, Algo a) {
          Tensor xd = leaf(x, d);
          Tensor y = log ? log_softmax(xd, a) : softmax(xd, a);
          y.backward(dy.to(d));
          return std::pair{y, xd.grad()};
        };
        auto [y_ref, dx_ref] = run(Device::cpu(), algo);
        auto [y, dx] = run(gpu, algo);
        // float32: each output is exp of an exact difference times 1/sum, the sums
        // accumulate at most 1e5 terms in float (relative error ~ sqrt(K) * 6e-8).
        CHECK(rel_err(y, y_ref) < 2e-5);
        CHECK(rel_err(dx, dx_ref) < 2e-5);
      }
    }
  }
}

TEST_CASE("CUDA softmax stays finite for extreme logits", "[softmax][gpu]") {
  require_gpu();
  Tensor x = Tensor::from_vector<float>({1000, -1000, 0, 1000, 1000, 1000}, {2, 3});
  for (Algo algo : runnable_algos({Algo::Native, Algo::Cudnn, Algo::Auto})) {
    INFO(algo_name(algo));
    require_close(softmax(x.to(Device::cuda(0)), algo), {1, 0, 0, 1 / 3.0, 1 / 3.0, 1 / 3.0});
    require_close(log_softmax(x.to(Device::cuda(0)), algo),
                  {0, -2000, -1000, -1.0986122887, -1.0986122887, -1.0986122887});
  }
}

TEST_CASE("CUDA softmax in float64 matches the CPU backend", "[softmax][gpu]") {
  require_gpu();
  Tensor x = randn({37, 1500}, 5, DType::f64);
  for (Algo algo : runnable_algos({Algo::Native, Algo::Cudnn})) {
    INFO(algo_name(algo));
    CHECK(rel_err(softmax(x.to(Device::cuda(0)), algo), softmax(x)) < 1e-12);
    CHECK(rel_err(log_softmax(x.to(Device::cuda(0)), algo), log_softmax(x)) < 1e-12);
  }
}
