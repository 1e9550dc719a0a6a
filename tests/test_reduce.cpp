#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

TEST_CASE("sum, mean, max and argmax match hand-computed values", "[reduce]") {
  // x = [[1, -2, 3], [4, 5, -6]]
  Tensor x = Tensor::from_vector<float>({1, -2, 3, 4, 5, -6}, {2, 3});
  require_close(sum(x), {5.0});
  require_close(mean(x), {5.0 / 6.0});
  require_close(sum(x, 0), {5, 3, -3});
  require_close(sum(x, 1), {2, 3});
  require_close(sum(x, -1), {2, 3});
  require_close(mean(x, 0), {2.5, 1.5, -1.5});
  require_close(max(x, 0), {4, 5, 3});
  require_close(max(x, 1), {3, 5});
  require_close(argmax(x, 1), {2, 1});
  require_close(argmax(x, 0), {1, 1, 0});
  CHECK(sum(x, 1, true).shape() == Shape{2, 1});
  CHECK(sum(x).shape() == Shape{});
  // A middle axis: (2, 2, 2) summed over axis 1.
  Tensor y = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
  require_close(sum(y, 1), {4, 6, 12, 14});
  require_close(max(y, 1), {3, 4, 7, 8});
  // Ties: the first maximum wins, as in PyTorch and NumPy.
  require_close(argmax(Tensor::from_vector<float>({2, 7, 7, 1}, {1, 4}), 1), {1});
}

TEST_CASE("reductions reject bad axes and empty inputs", "[reduce]") {
  Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH(sum(x, 2), Catch::Contains("axis 2") && Catch::Contains("(2, 3)"));
  CHECK_THROWS_WITH(max(x, -3), Catch::Contains("axis -3"));
  CHECK_THROWS_WITH(mean(Tensor::zeros({0})), Catch::Contains("empty"));
  CHECK_THROWS_WITH(sum(Tensor::zeros({3}, DType::i32)), Catch::Contains("int32"));
}

TEST_CASE("reduction gradients match finite differences", "[reduce][grad]") {
  Tensor x = randn({3, 4, 5}, 31, DType::f64);
  gradcheck([](const std::vector<Tensor>& in) { return sum(in[0]).reshape({1}); }, {x.clone()});
  gradcheck([](const std::vector<Tensor>& in) { return mean(in[0]).reshape({1}); }, {x.clone()});
  for (int axis : {0, 1, 2}) {
    gradcheck([axis](const std::vector<Tensor>& in) { return sum(in[0], axis); }, {x.clone()});
    gradcheck([axis](const std::vector<Tensor>& in) { return mean(in[0], axis, true); }, {x.clone()});
    // Random normal inputs have no ties, so max is differentiable at them.
    gradcheck([axis](const std::vector<Tensor>& in) { return max(in[0], axis); }, {x.clone()});
  }
}

TEST_CASE("CUDA reductions match the CPU backend", "[reduce][gpu]") {
  require_gpu();
  const Device gpu = Device::cuda(0);
  // Awkward sizes: a single element, primes, a row longer than a block, and a
  // large one (2^20 elements through one block per row).
  for (Shape s : {Shape{1, 1}, Shape{7, 13}, Shape{3, 1031}, Shape{257, 5, 3}, Shape{4, 1 << 18}}) {
    INFO("shape " << s.str());
    Tensor x = randn(s, 40 + s.numel());
    Tensor g = x.to(gpu);
    // float32 sums of up to 2^18 terms in a different order: sqrt(n) eps ~ 6e-5
    // worst case; random signs keep it far lower. 1e-5 relative.
    CHECK(rel_err(sum(g), sum(x)) < 1e-5);
    CHECK(rel_err(mean(g), mean(x)) < 1e-5);
    for (int axis = 0; axis < s.ndim(); ++axis) {
      CHECK(rel_err(sum(g, axis), sum(x, axis)) < 1e-5);
      CHECK(rel_err(mean(g, axis), mean(x, axis)) < 1e-5);
      CHECK(rel_err(max(g, axis), max(x, axis)) == 0.0);
      CHECK(argmax(g, axis).to(Device::cpu()).to_vector<int32_t>() == argmax(x, axis).to_vector<int32_t>());
    }
  }
}

TEST_CASE("CUDA reduction gradients match the CPU backend", "[reduce][gpu][grad]") {
  require_gpu();
  Tensor x = randn({6, 33, 4}, 50);
  auto grads = [&](Device d) {
    std::vector<Tensor> out;
    for (int axis : {0, 1, 2}) {
      Tensor a = leaf(x, d);
      Tensor w = randn(max(x, axis).shape(), 60 + axis).to(d);
      sum(add(mul(max(a, axis), w), mul(mean(a, axis), w))).backward();
      out.push_back(a.grad());
    }
    return out;
  };
  auto cpu = grads(Device::cpu()), gpu = grads(Device::cuda(0));
  for (size_t i = 0; i < cpu.size(); ++i) CHECK(rel_err(gpu[i], cpu[i]) < 1e-6);
}
