// Label smoothing of cross_entropy, one_hot, and the losses make_loss builds by
// name: hand-computed values, independent references, finite differences, the
// CUDA device against the CPU.
#include "test_util.h"

#include <cmath>
#include <limits>

#include "layers/zoo.h"
#include "optim/optimizer.h"
#include "train/losses.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

// The hand-computed case: logits [[1, 2, 3], [0.5, 1.5, -1]], labels [2, 0].
Tensor tiny_logits(DType dt = DType::f64) {
  return cast(Tensor::from_vector<double>({1, 2, 3, 0.5, 1.5, -1}, {2, 3}), dt).set_requires_grad(true);
}
Tensor tiny_labels() { return Tensor::from_vector<int32_t>({2, 0}, {2}); }

}  // namespace

// ------------------------------------------------------ cross_entropy: smoothing

// Row losses lse - (1 - ε) x[label] - ε mean(x), with lse = 3.4076059644 and
// 1.8715390319 (test_cross_entropy.cpp), means of x 2 and 1/3:
//   ε = 0.1: 3.4076059644 - 2.7 - 0.2 = 0.5076059644 and 1.8715390319 - 0.45 - 0.0333333333
//            = 1.3882056985, mean 0.9479058315;
//   ε = 0.3: 0.7076059644 and 1.4215390319, mean 1.0645724981.
// Gradient (softmax - target) / 2, softmax rows [0.0900305732, 0.2447284711,
// 0.6652409558] and [0.2537161816, 0.6896720861, 0.0566117322], target ε/3 off
// the label and 1 - ε + ε/3 at it (numpy, float64, agrees to 12 digits).
TEST_CASE("cross_entropy with label smoothing matches hand-computed values", "[cross_entropy][losses]") {
  struct Expected {
    double eps, loss;
    std::vector<double> grad;
  };
  const std::vector<Expected> cases = {
      {0.1, 0.9479058315, {0.0283486199, 0.1056975689, -0.1340461888, -0.3398085758, 0.3281693764, 0.0116391995}},
      {0.3, 1.0645724981, {-0.0049847134, 0.0723642355, -0.0673795221, -0.2731419092, 0.2948360431, -0.0216941339}},
  };
  for (DType dt : {DType::f32, DType::f64})
    for (const Expected& e : cases) {
      INFO("label_smoothing " << e.eps << " " << dtype_name(dt));
      Tensor logits = tiny_logits(dt);
      Tensor loss = cross_entropy(logits, tiny_labels(), e.eps);
      CHECK(loss.dim() == 0);
      require_close(loss, {e.loss}, dt == DType::f64 ? 1e-9 : 1e-6);
      loss.backward();
      require_close(logits.grad(), e.grad, dt == DType::f64 ? 1e-9 : 1e-6);
    }
}

TEST_CASE("cross_entropy with label smoothing equals the smoothed target against log_softmax",
          "[cross_entropy][losses]") {
  const int64_t n = 9, k = 6;
  const Tensor x = scale(randn({n, k}, 71, DType::f64), 2.0);
  const std::vector<int32_t> ls = {0, 5, 3, 3, 1, 2, 4, 0, 5};
  const Tensor labels = Tensor::from_vector<int32_t>(ls, {n});
  const auto lsm = log_softmax(x).to_vector<double>();
  const auto sm = softmax(x).to_vector<double>();
  for (double eps : {0.0, 0.2, 1.0}) {
    INFO("label_smoothing " << eps);
    double expected = 0;
    std::vector<double> grad(n * k);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < k; ++c) {
        const double target = (c == ls[r] ? 1 - eps : 0) + eps / k;
        expected -= target * lsm[r * k + c] / n;
        grad[r * k + c] = (sm[r * k + c] - target) / n;
      }
    Tensor xl = x.detach().set_requires_grad(true);
    Tensor loss = cross_entropy(xl, labels, eps);
    require_close(loss, {expected}, 1e-12);
    loss.backward();
    require_close(xl.grad(), grad, 1e-12);
  }
}

TEST_CASE("cross_entropy without label smoothing is bit-identical to the default", "[cross_entropy][losses]") {
  const Tensor x = scale(randn({33, 10}, 72), 3.0);
  const Tensor labels = cast(randu({33}, 73, 0, 9.5), DType::i32);
  auto run = [&](bool explicit_zero) {
    Tensor xl = x.detach().set_requires_grad(true);
    Tensor loss = explicit_zero ? cross_entropy(xl, labels, 0.0) : cross_entropy(xl, labels);
    loss.backward();
    return std::pair{loss.to_vector<float>(), xl.grad().to_vector<float>()};
  };
  CHECK(run(true) == run(false));
}

TEST_CASE("cross_entropy with label smoothing: gradients match finite differences", "[cross_entropy][losses][grad]") {
  Tensor labels = Tensor::from_vector<int32_t>({3, 0, 2, 2, 1}, {5});
  for (double eps : {0.0, 0.1, 0.3}) {
    INFO("label_smoothing " << eps);
    gradcheck([&](const std::vector<Tensor>& v) { return cross_entropy(v[0], labels, eps); },
              {randn({5, 4}, 81, DType::f64)});
    gradcheck([&](const std::vector<Tensor>& v) { return cross_entropy(v[0], labels, eps); },
              {scale(randn({5, 4}, 82, DType::f64), 5.0)});
  }
}

TEST_CASE("cross_entropy refuses a label_smoothing outside [0, 1], naming it", "[cross_entropy][losses]") {
  Tensor logits = randn({3, 4}, 83);
  Tensor labels = Tensor::from_vector<int32_t>({0, 1, 3}, {3});
  for (auto [eps, shown] : std::vector<std::pair<double, const char*>>{
           {-0.1, "-0.1"}, {1.5, "1.5"}, {std::nan(""), "nan"}, {std::numeric_limits<double>::infinity(), "inf"}}) {
    INFO(shown);
    CHECK_THROWS_WITH(cross_entropy(logits, labels, eps), Catch::Contains("cross_entropy") &&
                                                              Catch::Contains("label_smoothing") &&
                                                              Catch::Contains(std::string("got ") + shown));
  }
  CHECK_NOTHROW(cross_entropy(logits, labels, 1.0));
}

// ---------------------------------------------------------------------- one_hot

TEST_CASE("one_hot writes 1 at each row's label and 0 elsewhere", "[one_hot][losses]") {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor y = one_hot(Tensor::from_vector<int32_t>({2, 0, 1, 2}, {4}), 3, dt);
    CHECK(y.shape() == Shape{4, 3});
    CHECK(y.dtype() == dt);
    require_close(y, {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, 0);
  }
  CHECK(one_hot(Tensor::from_vector<int32_t>({0}, {1}), 1).to_vector<float>() == std::vector<float>{1});
  CHECK(one_hot(Tensor::empty({0}, DType::i32), 5).shape() == Shape{0, 5});
}

TEST_CASE("one_hot refuses bad labels and arguments, naming them", "[one_hot][losses]") {
  CHECK_THROWS_WITH(one_hot(Tensor::from_vector<int32_t>({0, 3, 1}, {3}), 3),
                    Catch::Contains("one_hot") && Catch::Contains("label 3") && Catch::Contains("row 1") &&
                        Catch::Contains("[0, 3)"));
  CHECK_THROWS_WITH(one_hot(Tensor::from_vector<int32_t>({-1}, {1}), 3),
                    Catch::Contains("label -1") && Catch::Contains("row 0"));
  const Tensor labels = Tensor::from_vector<int32_t>({0, 1}, {2});
  CHECK_THROWS_WITH(one_hot(labels, 0), Catch::Contains("one_hot") && Catch::Contains("num_classes") &&
                                            Catch::Contains("got 0"));
  CHECK_THROWS_WITH(one_hot(labels, 2, DType::i32), Catch::Contains("one_hot") && Catch::Contains("int32"));
  CHECK_THROWS_WITH(one_hot(Tensor::zeros({2}), 2), Catch::Contains("labels") && Catch::Contains("int32"));
  CHECK_THROWS_WITH(one_hot(Tensor::empty({2, 1}, DType::i32), 2),
                    Catch::Contains("labels") && Catch::Contains("1 dimension"));
}

// ------------------------------------------------------------ mse on a softmax

// mean over the 6 elements of (softmax - onehot)^2 with the softmax rows above:
// differences [0.0900305732, 0.2447284711, -0.3347590442] and [-0.7462838184,
// 0.6896720861, 0.0566117322], squares summing to 1.2158531585, mean
// 0.2026421931. Gradient: dL/dp = 2 (p - onehot) / 6, through the softmax
// dx = p (dL/dp - sum(dL/dp p)) (numpy, float64).
TEST_CASE("make_loss(\"mse\") matches hand-computed values", "[losses][mse]") {
  const LossFn mse = make_loss("mse");
  for (DType dt : {DType::f32, DType::f64}) {
    INFO(dtype_name(dt));
    Tensor logits = tiny_logits(dt);
    Tensor loss = mse(logits, tiny_labels());
    CHECK(loss.dim() == 0);
    require_close(loss, {0.2026421931}, dt == DType::f64 ? 1e-9 : 1e-6);
    loss.backward();
    require_close(logits.grad(),
                  {0.0073443482, 0.0325836682, -0.0399280164, -0.0875990648, 0.0919939555, -0.0043948907},
                  dt == DType::f64 ? 1e-9 : 1e-6);
  }
}

// Keras's MeanSquaredError: the mean over the classes of each row, then the
// mean over the batch, computed here from softmax's output on the host.
TEST_CASE("make_loss(\"mse\") is Keras's mean over classes, then over the batch", "[losses][mse]") {
  const int64_t n = 7, k = 5;
  const Tensor x = scale(randn({n, k}, 91, DType::f64), 2.0);
  const std::vector<int32_t> ls = {4, 0, 1, 1, 3, 2, 0};
  const auto p = softmax(x).to_vector<double>();
  double batch = 0;
  for (int64_t r = 0; r < n; ++r) {
    double row = 0;
    for (int64_t c = 0; c < k; ++c) row += std::pow(p[r * k + c] - (c == ls[r] ? 1.0 : 0.0), 2);
    batch += row / k;
  }
  require_close(make_loss("mse")(x, Tensor::from_vector<int32_t>(ls, {n})), {batch / n}, 1e-14);
}

TEST_CASE("mse on softmax against one_hot: gradients match finite differences", "[losses][mse][grad]") {
  Tensor labels = Tensor::from_vector<int32_t>({3, 0, 2, 2, 1}, {5});
  const LossFn mse = make_loss("mse");
  gradcheck([&](const std::vector<Tensor>& v) { return mse(v[0], labels); }, {randn({5, 4}, 92, DType::f64)});
  gradcheck([&](const std::vector<Tensor>& v) { return mse(v[0], labels); },
            {scale(randn({5, 4}, 93, DType::f64), 3.0)});
}

// ------------------------------------------------------------------- make_loss

TEST_CASE("make_loss builds the losses by name", "[losses]") {
  const Tensor x = scale(randn({12, 7}, 94), 2.0);
  const Tensor labels = cast(randu({12}, 95, 0, 6.5), DType::i32);
  auto run = [&](const LossFn& f) {
    Tensor xl = x.detach().set_requires_grad(true);
    Tensor loss = f(xl, labels);
    loss.backward();
    return std::pair{loss.to_vector<float>(), xl.grad().to_vector<float>()};
  };
  CHECK(run(make_loss("cross_entropy")) == run(cross_entropy_loss()));
  CHECK(run(make_loss("cross_entropy", 0.25)) ==
        run([](const Tensor& a, const Tensor& b) { return cross_entropy(a, b, 0.25); }));
  CHECK(run(make_loss("mse", 0)) == run([](const Tensor& a, const Tensor& b) {
          return mse_loss(softmax(a), one_hot(b, 7));
        }));
}

TEST_CASE("make_loss names what it refuses", "[losses]") {
  CHECK_THROWS_WITH(make_loss("hinge"), Catch::Contains("unknown loss 'hinge'") && Catch::Contains("cross_entropy") &&
                                            Catch::Contains("mse"));
  CHECK_THROWS_WITH(make_loss("mse", 0.1), Catch::Contains("mse") && Catch::Contains("label_smoothing") &&
                                               Catch::Contains("0.1"));
  CHECK_THROWS_WITH(make_loss("cross_entropy", 1.5),
                    Catch::Contains("cross_entropy") && Catch::Contains("label_smoothing") && Catch::Contains("1.5"));
  CHECK_THROWS_WITH(make_loss("cross_entropy", -0.5), Catch::Contains("label_smoothing") && Catch::Contains("-0.5"));
  CHECK_THROWS_WITH(make_loss("mse", std::nan("")), Catch::Contains("label_smoothing") && Catch::Contains("nan"));
  CHECK_NOTHROW(make_loss("cross_entropy", 1.0));
}

// A linear model learns which of 4 pixels is the brightest under both losses.
TEST_CASE("fit trains with the losses make_loss builds", "[losses][train]") {
  const int64_t n = 256;
  Dataset d;
  d.images = randu({n, 1, 2, 2}, 96, 0.0, 1.0);
  std::vector<int32_t> labels(n);
  const float* px = d.images.data<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int32_t c = 1; c < 4; ++c)
      if (px[i * 4 + c] > px[i * 4 + labels[i]]) labels[i] = c;
  d.labels = Tensor::from_vector<int32_t>(labels, {n});
  d.num_classes = 4;
  for (auto [name, eps] : std::vector<std::pair<const char*, double>>{{"mse", 0.0}, {"cross_entropy", 0.1}}) {
    INFO(name << " label_smoothing " << eps);
    Generator g(5);
    auto model = build_model("flatten-dense4", Shape{1, 2, 2}, g);
    OptimizerOptions oo;
    oo.lr = 0.05;
    auto opt = make_optimizer("adam", model->parameters(), oo);
    FitOptions fo;
    fo.epochs = 8;
    fo.batch_size = 32;
    const auto history = fit(*model, *opt, make_loss(name, eps), d, Dataset{}, fo);
    REQUIRE(history.size() == 8);
    CHECK(history.back().loss < 0.8 * history.front().loss);
    CHECK(history.back().accuracy > 0.7);  // chance is 0.25
  }
}

// ----------------------------------------------------------------- CUDA device

TEST_CASE("CUDA losses by name match the CPU backend", "[losses][gpu]") {
  require_gpu();
  const Device gpu = Device::cuda(0);
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1}, {64, 10}, {5, 1025}, {2011, 10}};
  for (auto [name, eps] :
       std::vector<std::pair<const char*, double>>{{"cross_entropy", 0.1}, {"cross_entropy", 0.3}, {"mse", 0.0}})
    for (auto [n, k] : shapes) {
      INFO(name << " label_smoothing " << eps << " " << n << "x" << k);
      const LossFn f = make_loss(name, eps);
      const Tensor logits = scale(randn({n, k}, 500 + n + k), 3.0);
      const Tensor labels = cast(randu({n}, 600 + n, 0, static_cast<double>(k) - 0.5), DType::i32);
      auto run = [&](Device d) {
        Tensor x = leaf(logits, d);
        Tensor loss = f(x, labels.to(d));
        scale(loss, 2.5).backward();  // a non-unit upstream gradient, read on the device
        return std::pair{loss, x.grad()};
      };
      auto [loss_ref, dx_ref] = run(Device::cpu());
      auto [loss, dx] = run(gpu);
      // float32 row sums of K terms (~sqrt(K) 6e-8) on both passes; mse adds
      // softmax's forward and backward (its backend-ops tolerance is 2e-5).
      CHECK(rel_err(loss, loss_ref) < 2e-5);
      CHECK(rel_err(dx, dx_ref) < 2e-5);
    }
  check_label_flag(gpu);  // no bad label was seen
}

TEST_CASE("CUDA one_hot with a bad label gives a NaN row and raises the flag", "[one_hot][losses][gpu]") {
  require_gpu();
  const Device gpu = Device::cuda(0);
  Tensor y = one_hot(Tensor::from_vector<int32_t>({0, 5, 2}, {3}).to(gpu), 3);
  const auto v = y.to_vector<float>();
  for (int c = 0; c < 3; ++c) CHECK(std::isnan(v[3 + c]));  // the bad row
  CHECK(std::vector<float>(v.begin(), v.begin() + 3) == std::vector<float>{1, 0, 0});
  CHECK(std::vector<float>(v.begin() + 6, v.end()) == std::vector<float>{0, 0, 1});
  CHECK_THROWS_WITH(check_label_flag(gpu), Catch::Contains("one_hot") && Catch::Contains("label 5") &&
                                               Catch::Contains("row 1") && Catch::Contains("[0, 3)"));
  CHECK_NOTHROW(check_label_flag(gpu));  // reading cleared it
  // Through the mse loss the batch's loss is NaN, and the flag says why.
  Tensor logits = leaf(randn({3, 3}, 97), gpu);
  CHECK(std::isnan(make_loss("mse")(logits, Tensor::from_vector<int32_t>({0, 1, -2}, {3}).to(gpu)).item()));
  CHECK_THROWS_WITH(check_label_flag(gpu), Catch::Contains("one_hot") && Catch::Contains("label -2") &&
                                               Catch::Contains("row 2"));
}

TEST_CASE("CUDA cross_entropy with label smoothing flags a bad label like without", "[cross_entropy][losses][gpu]") {
  require_gpu();
  const Device gpu = Device::cuda(0);
  Tensor logits = leaf(randn({4, 3}, 98), gpu);
  Tensor loss = cross_entropy(logits, Tensor::from_vector<int32_t>({0, 2, 7, 1}, {4}).to(gpu), 0.2);
  CHECK(std::isnan(loss.item()));
  CHECK_THROWS_WITH(check_label_flag(gpu), Catch::Contains("cross_entropy") && Catch::Contains("label 7") &&
                                               Catch::Contains("row 2"));
}
