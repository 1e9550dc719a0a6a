#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

// logits [[1, 2, 3], [0.5, 1.5, -1]], labels [2, 0].
// Row 0: logsumexp = 3 + log(1 + e^-1 + e^-2) = 3.4076059644, loss = 3.4076059644 - 3 = 0.4076059644.
// Row 1: logsumexp = 1.5 + log(1 + e^-1 + e^-2.5) = 1.5 + log(1.4499644398) = 1.8715390319,
//        loss = 1.8715390319 - 0.5 = 1.3715390319.
// Mean = 0.8895724981. Gradient (softmax - onehot) / 2 with softmax rows
// [0.0900305732, 0.2447284711, 0.6652409558] and [0.2537161816, 0.6896720861, 0.0566117322].
TEST_CASE("cross_entropy matches hand-computed values", "[cross_entropy]") {
  Tensor logits = Tensor::from_vector<float>({1, 2, 3, 0.5f, 1.5f, -1}, {2, 3}).set_requires_grad(true);
  Tensor labels = Tensor::from_vector<int32_t>({2, 0}, {2});
  Tensor loss = cross_entropy(logits, labels);
  CHECK(loss.dim() == 0);
  require_close(loss, {0.8895724981});
  loss.backward();
  require_close(logits.grad(), {0.0450152866, 0.1223642355, -0.1673795221, -0.3731419092, 0.3448360431,
                                0.0283058661});
}

// Row [1000, -1000], label 0: loss = log(1 + e^-2000) = 0. Row [-1000, 1000],
// label 0: loss = 1000 - (-1000) = 2000. Mean 1000; gradient rows
// ([1, 0] - [1, 0]) / 2 = [0, 0] and ([0, 1] - [1, 0]) / 2 = [-0.5, 0.5].
TEST_CASE("cross_entropy stays finite for extreme logits", "[cross_entropy]") {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor logits = cast(Tensor::from_vector<float>({1000, -1000, -1000, 1000}, {2, 2}), dt).set_requires_grad(true);
    Tensor loss = cross_entropy(logits, Tensor::from_vector<int32_t>({0, 0}, {2}));
    require_close(loss, {1000});
    loss.backward();
    require_close(logits.grad(), {0, 0, -0.5, 0.5});
  }
}

TEST_CASE("cross_entropy equals the mean of -log_softmax at the label", "[cross_entropy]") {
  Tensor logits = randn({9, 6}, 21, DType::f64);
  std::vector<int32_t> ls = {0, 5, 3, 3, 1, 2, 4, 0, 5};
  auto lsm = log_softmax(logits).to_vector<double>();
  double expected = 0;
  for (int r = 0; r < 9; ++r) expected -= lsm[r * 6 + ls[r]] / 9;
  require_close(cross_entropy(logits, Tensor::from_vector<int32_t>(ls, {9})), {expected}, 1e-12);
}

TEST_CASE("cross_entropy gradients match finite differences", "[cross_entropy][grad]") {
  Tensor labels = Tensor::from_vector<int32_t>({3, 0, 2, 2, 1}, {5});
  gradcheck([&](const std::vector<Tensor>& v) { return cross_entropy(v[0], labels); },
            {randn({5, 4}, 31, DType::f64)});
  Tensor big = scale(randn({5, 4}, 32, DType::f64), 10.0);
  gradcheck([&](const std::vector<Tensor>& v) { return cross_entropy(v[0], labels); }, {big});
}

TEST_CASE("cross_entropy on the CPU names a bad label, its row and K", "[cross_entropy]") {
  Tensor logits = Tensor::zeros({3, 4});
  CHECK_THROWS_WITH(cross_entropy(logits, Tensor::from_vector<int32_t>({0, 4, 1}, {3})),
                    Catch::Contains("cross_entropy") && Catch::Contains("label 4") && Catch::Contains("row 1") &&
                        Catch::Contains("[0, 4)"));
  CHECK_THROWS_WITH(cross_entropy(logits, Tensor::from_vector<int32_t>({0, 1, -1}, {3})),
                    Catch::Contains("label -1") && Catch::Contains("row 2"));
  CHECK_THROWS_WITH(check_labels(Tensor::from_vector<int32_t>({9, 10, 11}, {3}), 10),
                    Catch::Contains("check_labels") && Catch::Contains("label 10") && Catch::Contains("row 1") &&
                        Catch::Contains("[0, 10)"));
  CHECK_NOTHROW(check_labels(Tensor::from_vector<int32_t>({0, 9, 5}, {3}), 10));
  CHECK_NOTHROW(check_label_flag(Device::cpu()));
}

TEST_CASE("cross_entropy rejects mismatched inputs", "[cross_entropy]") {
  Tensor logits = Tensor::zeros({3, 4});
  CHECK_THROWS_WITH(cross_entropy(logits, Tensor::zeros({3})), Catch::Contains("labels") && Catch::Contains("int32"));
  CHECK_THROWS_WITH(cross_entropy(logits, Tensor::from_vector<int32_t>({0, 1}, {2})),
                    Catch::Contains("(2,)") && Catch::Contains("(3, 4)"));
  CHECK_THROWS_WITH(cross_entropy(Tensor::zeros({12}), Tensor::from_vector<int32_t>({0}, {1})),
                    Catch::Contains("logits") && Catch::Contains("2 dimensions"));
  CHECK_THROWS_WITH(check_labels(Tensor::zeros({3}), 4), Catch::Contains("check_labels"));
}

TEST_CASE("CUDA cross_entropy matches the CPU backend", "[cross_entropy][gpu]") {
  require_gpu();
  const Device gpu = Device::cuda(0);
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1},   {1, 10},   {64, 10},  {7, 1023},
                                                           {5, 1025}, {3, 4099}, {20011, 10}};
  for (auto [n, k] : shapes) {
    INFO(n << "x" << k);
    Tensor logits = scale(randn({n, k}, 300 + n + k), 3.0);
    // Truncating [0, k - 0.5) lands in [0, k) even after rounding to float.
    Tensor labels = cast(randu({n}, 400 + n, 0, static_cast<double>(k) - 0.5), DType::i32);
    check_labels(labels.to(gpu), k);
    auto run = [&](Device d) {
      Tensor x = leaf(logits, d);
      Tensor loss = cross_entropy(x, labels.to(d));
      // A non-unit upstream gradient, read by the backward kernel from device memory.
      scale(loss, 2.5).backward();
      return std::pair{loss, x.grad()};
    };
    auto [loss_ref, dx_ref] = run(Device::cpu());
    auto [loss, dx] = run(gpu);
    // float32 logsumexp per row (relative error ~ 1e-7 sqrt(K)) and a float mean over n rows.
    CHECK(rel_err(loss, loss_ref) < 1e-5);
    CHECK(rel_err(dx, dx_ref) < 1e-5);
  }
  check_label_flag(gpu);  // no bad label was seen
}

TEST_CASE("CUDA cross_entropy stays finite for extreme logits", "[cross_entropy][gpu]") {
  require_gpu();
  Tensor logits = Tensor::from_vector<float>({1000, -1000, -1000, 1000}, {2, 2}).to(Device::cuda(0));
  logits.set_requires_grad(true);
  Tensor loss = cross_entropy(logits, Tensor::from_vector<int32_t>({0, 0}, {2}).to(Device::cuda(0)));
  require_close(loss, {1000});
  loss.backward();
  require_close(logits.grad(), {0, 0, -0.5, 0.5});
}

TEST_CASE("CUDA cross_entropy with a bad label gives NaN and raises the flag", "[cross_entropy][gpu]") {
  require_gpu();
  const Device gpu = Device::cuda(0);
  Tensor logits = leaf(randn({4, 3}, 7), gpu);
  Tensor labels = Tensor::from_vector<int32_t>({0, 2, 3, 1}, {4}).to(gpu);
  Tensor loss = cross_entropy(logits, labels);
  CHECK(std::isnan(loss.item()));
  loss.backward();
  auto g = logits.grad().to_vector<float>();
  for (int c = 0; c < 3; ++c) CHECK(std::isnan(g[2 * 3 + c]));  // the bad row
  CHECK(std::isfinite(g[0]));                                    // the others are untouched
  CHECK_THROWS_WITH(check_label_flag(gpu), Catch::Contains("label 3") && Catch::Contains("row 2") &&
                                               Catch::Contains("[0, 3)"));
  CHECK_NOTHROW(check_label_flag(gpu));  // reading cleared it
  CHECK_THROWS_WITH(check_labels(labels, 3), Catch::Contains("label 3") && Catch::Contains("row 2") &&
                                                 Catch::Contains("[0, 3)"));
  CHECK_THROWS_WITH(check_labels(Tensor::from_vector<int32_t>({1, -5, 0, -1}, {4}).to(gpu), 3),
                    Catch::Contains("label -5") && Catch::Contains("row 1"));
  CHECK_NOTHROW(check_labels(labels, 4));
}
