#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

TEST_CASE("element-wise ops match hand-computed values", "[elementwise]") {
  Tensor a = Tensor::from_vector<float>({1.5f, -2.f, 0.25f, 3.f}, {2, 2});
  Tensor b = Tensor::from_vector<float>({0.5f, 4.f, -1.f, 2.f}, {2, 2});
  require_close(add(a, b), {2.0, 2.0, -0.75, 5.0});
  require_close(sub(a, b), {1.0, -6.0, 1.25, 1.0});
  require_close(mul(a, b), {0.75, -8.0, -0.25, 6.0});
  require_close(div(a, b), {3.0, -0.5, -0.25, 1.5});
  require_close(scale(a, -2.0), {-3.0, 4.0, -0.5, -6.0});
  require_close(add_scalar(a, 1.0), {2.5, -1.0, 1.25, 4.0});
  require_close(relu(a), {1.5, 0.0, 0.25, 3.0});
  require_close(leaky_relu(a, 0.1), {1.5, -0.2, 0.25, 3.0});
  require_close(sigmoid(a), {0.8175744762, 0.1192029220, 0.5621765009, 0.9525741268});
  require_close(tanh(a), {0.9051482536, -0.9640275801, 0.2449186624, 0.9950547537});
  require_close(exp(b), {1.6487212707, 54.5981500331, 0.3678794412, 7.3890560989}, 1e-5);
  require_close(log(Tensor::from_vector<float>({1.f, 2.f, 0.5f, 10.f}, {4})),
                {0.0, 0.6931471806, -0.6931471806, 2.302585093});
  require_close(sqrt(Tensor::from_vector<float>({4.f, 2.f}, {2})), {2.0, 1.4142135624});
  require_close(square(a), {2.25, 4.0, 0.0625, 9.0});
}

TEST_CASE("bias_add broadcasts over rows and over channels", "[elementwise]") {
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Tensor::from_vector<float>({10, 20, 30}, {3});
  require_close(bias_add(x, b), {11, 22, 33, 14, 25, 36});
  Tensor x4 = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2});
  Tensor b2 = Tensor::from_vector<float>({100, -100}, {2});
  require_close(bias_add(x4, b2), {101, 102, 103, 104, -95, -94, -93, -92});
  CHECK_THROWS_WITH(bias_add(x, Tensor::zeros({4})), Catch::Contains("(4,)") && Catch::Contains("(2, 3)"));
}

TEST_CASE("in-place ops, fill and cast", "[elementwise]") {
  Tensor a = Tensor::from_vector<float>({1, 2, 3}, {3});
  axpy_(a, Tensor::from_vector<float>({1, 1, 1}, {3}), -0.5);
  require_close(a, {0.5, 1.5, 2.5});
  scale_(a, 2.0);
  require_close(a, {1, 3, 5});
  fill_(a, 7.0);
  require_close(a, {7, 7, 7});
  Tensor f = Tensor::from_vector<float>({1.7f, -2.2f, 300.f}, {3});
  require_close(cast(f, DType::i32), {1, -2, 300});
  require_close(cast(cast(f, DType::f64), DType::f32), {1.7, -2.2, 300}, 1e-6);
}

TEST_CASE("mismatched element-wise inputs are named in the error", "[elementwise]") {
  Tensor a = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH(add(a, Tensor::zeros({3, 2})), Catch::Contains("shape mismatch") &&
                                                          Catch::Contains("(2, 3)") && Catch::Contains("(3, 2)"));
  CHECK_THROWS_WITH(add(a, Tensor::zeros({2, 3}, DType::f64)), Catch::Contains("dtype mismatch"));
  CHECK_THROWS_WITH(relu(Tensor::zeros({2}, DType::i32)), Catch::Contains("int32"));
}

TEST_CASE("element-wise gradients match finite differences", "[elementwise][grad]") {
  const Shape s{3, 5};
  Tensor a = randn(s, 1, DType::f64), b = randu(s, 2, 0.5, 2.0, DType::f64);
  gradcheck([](const std::vector<Tensor>& x) { return add(x[0], x[1]); }, {a.clone(), b.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return sub(x[0], x[1]); }, {a.clone(), b.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return mul(x[0], x[1]); }, {a.clone(), b.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return div(x[0], x[1]); }, {a.clone(), b.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return scale(x[0], -1.5); }, {a.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return add_scalar(x[0], 3.0); }, {a.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return relu(x[0]); }, {a.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return leaky_relu(x[0], 0.2); }, {a.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return sigmoid(x[0]); }, {a.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return tanh(x[0]); }, {a.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return exp(x[0]); }, {a.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return log(x[0]); }, {b.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return sqrt(x[0]); }, {b.clone()});
  gradcheck([](const std::vector<Tensor>& x) { return square(x[0]); }, {a.clone()});
  Tensor x4 = randn({2, 3, 2, 2}, 3, DType::f64), bias = randn({3}, 4, DType::f64);
  gradcheck([](const std::vector<Tensor>& x) { return bias_add(x[0], x[1]); }, {x4, bias});
}

TEST_CASE("gradients accumulate when a tensor is used twice", "[elementwise][grad]") {
  Tensor x = Tensor::from_vector<double>({1.0, -2.0, 3.0}, {3}).set_requires_grad(true);
  Tensor y = sum(add(mul(x, x), x));  // d/dx = 2x + 1
  y.backward();
  require_close(x.grad(), {3.0, -3.0, 7.0});
  y.backward();  // a second backward accumulates
  require_close(x.grad(), {6.0, -6.0, 14.0});
  zero_grad({x});
  require_close(x.grad(), {0.0, 0.0, 0.0});
}

TEST_CASE("backward errors are clear", "[elementwise][grad]") {
  Tensor x = Tensor::from_vector<float>({1, 2}, {2}).set_requires_grad(true);
  CHECK_THROWS_WITH(relu(x).backward(), Catch::Contains("non-scalar") && Catch::Contains("seed"));
  CHECK_THROWS_WITH(Tensor::zeros({1}).backward(), Catch::Contains("does not require grad"));
  {
    NoGradGuard ng;
    CHECK_FALSE(relu(x).requires_grad());
  }
}

TEST_CASE("CUDA element-wise ops match the CPU backend", "[elementwise][gpu]") {
  require_gpu();
  const Device gpu = Device::cuda(0);
  for (int64_t n : {1, 7, 257, 4099, 1 << 20}) {
    INFO("n = " << n);
    Tensor a = randn({n}, 10 + n), b = randu({n}, 20 + n, 0.5, 2.0);
    Tensor ga = a.to(gpu), gb = b.to(gpu);
    CHECK(rel_err(add(ga, gb), add(a, b)) < 1e-6);
    CHECK(rel_err(sub(ga, gb), sub(a, b)) < 1e-6);
    CHECK(rel_err(mul(ga, gb), mul(a, b)) < 1e-6);
    CHECK(rel_err(div(ga, gb), div(a, b)) < 1e-6);
    CHECK(rel_err(relu(ga), relu(a)) < 1e-6);
    CHECK(rel_err(leaky_relu(ga, 0.1), leaky_relu(a, 0.1)) < 1e-6);
    // Transcendentals: CUDA's expf/tanhf are within 2 ulp of the host's.
    CHECK(rel_err(sigmoid(ga), sigmoid(a)) < 1e-6);
    CHECK(rel_err(tanh(ga), tanh(a)) < 1e-6);
    CHECK(rel_err(exp(ga), exp(a)) < 1e-6);
    CHECK(rel_err(log(gb), log(b)) < 1e-6);
    CHECK(rel_err(sqrt(gb), sqrt(b)) < 1e-6);
    CHECK(rel_err(cast(ga, DType::f64), cast(a, DType::f64)) < 1e-7);
  }
}

TEST_CASE("CUDA element-wise gradients match the CPU backend", "[elementwise][gpu][grad]") {
  require_gpu();
  const Device gpu = Device::cuda(0);
  Tensor a = randn({3, 77}, 5), b = randu({3, 77}, 6, 0.5, 2.0), bias = randn({77}, 7);
  auto grads = [&](Device d) {
    Tensor x = leaf(a, d), y = leaf(b, d),
           c = leaf(bias, d);
    Tensor out = sum(tanh(div(mul(bias_add(x, c), sigmoid(y)), y)));
    out.backward();
    return std::vector<Tensor>{x.grad(), y.grad(), c.grad()};
  };
  auto cpu = grads(Device::cpu());
  auto gpu_g = grads(gpu);
  for (size_t i = 0; i < cpu.size(); ++i) CHECK(rel_err(gpu_g[i], cpu[i]) < 1e-5);
}

TEST_CASE("random fills: same numbers on CPU and CUDA for the same seed", "[random][gpu]") {
  require_gpu();
  for (int64_t n : {1, 5, 1001}) {
    Tensor c = Tensor::empty({n}), g = Tensor::empty({n}, DType::f32, Device::cuda(0));
    Generator gc(99), gg(99);
    uniform_(c, -1, 1, gc);
    uniform_(g, -1, 1, gg);
    CHECK(rel_err(g, c) == 0.0);
    normal_(c, 0, 1, gc);
    normal_(g, 0, 1, gg);
    CHECK(rel_err(g, c) < 1e-7);
  }
}
