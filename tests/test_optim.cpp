#include <cstring>

#include "optim/adam.h"
#include "optim/rmsprop.h"
#include "optim/sgd.h"
#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

// The trajectories start from kX0 and take three steps with the gradients
// kGrads[0..2]. Element 3 never gets a gradient (weight decay alone moves it;
// a zero gradient must not divide 0 by 0). Expected values: PyTorch's update
// rules written out in numpy, float64, one line per formula (the formulas are
// in optim/sgd.h, adam.h, rmsprop.h), printed with 17 digits.
const std::vector<double> kX0 = {1.0, -2.0, 0.5, 0.25};
const std::vector<std::vector<double>> kGrads = {
    {0.1, -0.3, 2.0, 0.0}, {0.2, 0.1, -1.0, 0.0}, {-0.5, 0.4, 0.0, 0.0}};
using Trajectory = std::vector<std::vector<double>>;
using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(std::vector<Tensor>)>;

Tensor leaf(const std::vector<double>& v, DType dt, Device d = Device::cpu()) {
  Tensor t = cast(Tensor::from_vector(v, {static_cast<int64_t>(v.size())}), dt).to(d);
  t.set_requires_grad(true);
  return t;
}

// Writes g into x's gradient buffer, creating it on the first call, as backward() does.
void set_grad(const Tensor& x, const Tensor& g) {
  if (!x.grad().defined()) {
    Tensor(x).set_grad(g.clone());
  } else {
    Tensor buf = x.grad();
    buf.copy_(g);
  }
}

// float64 to 1e-12; float32 to 2e-6 (a few float32 roundings of O(1) values
// per step, three steps).
void check_trajectory(const MakeOptimizer& make, const Trajectory& expected) {
  for (DType dt : {DType::f64, DType::f32}) {
    INFO("dtype " << dtype_name(dt));
    Tensor x = leaf(kX0, dt);
    auto opt = make({x});
    for (size_t t = 0; t < kGrads.size(); ++t) {
      INFO("step " << t + 1);
      set_grad(x, cast(Tensor::from_vector(kGrads[t], {4}), dt));
      opt->step();
      require_close(x, expected[t], dt == DType::f64 ? 1e-12 : 2e-6);
    }
    CHECK(opt->step_count() == 3);
  }
}

template <class Opt, class Options>
MakeOptimizer maker(Options o) {
  return [o](std::vector<Tensor> p) { return std::make_unique<Opt>(std::move(p), o); };
}

}  // namespace

TEST_CASE("defaults are Keras's where the frameworks differ, AdamW's decay PyTorch's", "[optim]") {
  const SgdOptions s;
  CHECK(s.lr == 0.01);
  CHECK(s.momentum == 0.0);
  CHECK(!s.nesterov);
  CHECK(s.weight_decay == 0.0);
  const AdamOptions a;
  CHECK(a.lr == 1e-3);
  CHECK(a.beta1 == 0.9);
  CHECK(a.beta2 == 0.999);
  CHECK(a.eps == 1e-7);  // Keras; PyTorch's is 1e-8
  CHECK(a.weight_decay == 0.0);
  CHECK(!a.amsgrad);
  const AdamWOptions w;
  CHECK(w.weight_decay == 0.01);  // PyTorch; Keras's is 0.004
  CHECK(w.eps == 1e-7);
  const RmspropOptions r;
  CHECK(r.lr == 1e-3);
  CHECK(r.rho == 0.9);
  CHECK(r.eps == 1e-7);
  CHECK(r.momentum == 0.0);
  CHECK(!r.centered);
}

TEST_CASE("SGD trajectories match hand-computed values", "[optim]") {
  SECTION("plain, lr 0.1: x -= 0.1 g") {
    check_trajectory(maker<Sgd>(SgdOptions{.lr = 0.1}),
                     {{0.98999999999999999, -1.97, 0.29999999999999999, 0.25},
                      {0.96999999999999997, -1.98, 0.40000000000000002, 0.25},
                      {1.02, -2.02, 0.40000000000000002, 0.25}});
  }
  SECTION("momentum 0.9") {
    check_trajectory(maker<Sgd>(SgdOptions{.lr = 0.1, .momentum = 0.9}),
                     {{0.98999999999999999, -1.97, 0.29999999999999999, 0.25},
                      {0.96099999999999997, -1.9530000000000001, 0.21999999999999997, 0.25},
                      {0.9849, -1.9777, 0.14799999999999996, 0.25}});
  }
  SECTION("nesterov momentum 0.9") {
    check_trajectory(maker<Sgd>(SgdOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true}),
                     {{0.98099999999999998, -1.9430000000000001, 0.12, 0.25},
                      {0.93489999999999995, -1.9377, 0.14799999999999999, 0.25},
                      {1.00641, -1.99993, 0.083199999999999982, 0.25}});
  }
  SECTION("weight decay 0.1") {
    check_trajectory(maker<Sgd>(SgdOptions{.lr = 0.1, .weight_decay = 0.1}),
                     {{0.97999999999999998, -1.95, 0.29500000000000004, 0.2475},
                      {0.95019999999999993, -1.9404999999999999, 0.39205000000000007, 0.24502499999999999},
                      {0.99069799999999997, -1.9610949999999998, 0.38812950000000007, 0.24257475000000001}});
  }
  SECTION("weight decay 0.1 with momentum 0.9") {
    check_trajectory(maker<Sgd>(SgdOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1}),
                     {{0.97999999999999998, -1.95, 0.29500000000000004, 0.2475},
                      {0.93219999999999992, -1.8955, 0.20755000000000004, 0.24277499999999999},
                      {0.92985799999999996, -1.8674949999999999, 0.12676950000000003, 0.23609474999999999}});
  }
}

TEST_CASE("Adam and AdamW trajectories match hand-computed values", "[optim]") {
  // lr 0.1, betas (0.9, 0.999), eps 1e-7 throughout. Step 1 moves every
  // element with a gradient by ~lr (m / sqrt(v) = sign(g) after bias correction).
  SECTION("adam") {
    check_trajectory(maker<Adam>(AdamOptions{.lr = 0.1}),
                     {{0.90000009999990005, -1.9000000333333222, 0.40000000499999977, 0.25},
                      {0.80348195845199677, -1.859978194039773, 0.37336630271867577, 0.25},
                      {0.83135951567291833, -1.8909340596187048, 0.3527783739555212, 0.25}});
  }
  SECTION("adam amsgrad: element 2's v shrinks at step 3, so vmax differs from v") {
    check_trajectory(maker<Adam>(AdamOptions{.lr = 0.1, .amsgrad = true}),
                     {{0.90000009999990005, -1.9000000333333222, 0.40000000499999977, 0.25},
                      {0.80348195845199677, -1.859978194039773, 0.37336630271867577, 0.25},
                      {0.83135951567291833, -1.8909340596187048, 0.35278867049388396, 0.25}});
  }
  SECTION("adam with L2 weight decay 0.1 added to the gradient") {
    check_trajectory(maker<Adam>(AdamOptions{.lr = 0.1, .weight_decay = 0.1}),
                     {{0.90000004999997496, -1.900000019999996, 0.40000000487804854, 0.15000039999840004},
                      {0.80070340136781237, -1.8208660655896274, 0.37089515210896584, 0.054251812393187104},
                      {0.80034546963094355, -1.7898602321925177, 0.34735254300481522, -0.030207163056859568}});
  }
  SECTION("adamw, decoupled decay 0.1: element 3 shrinks by (1 - 0.01) per step") {
    AdamWOptions o;
    o.lr = 0.1;
    o.weight_decay = 0.1;
    check_trajectory(maker<AdamW>(o),
                     {{0.89000009999990004, -1.8800000333333222, 0.39500000499999977, 0.2475},
                      {0.78458195745199777, -1.8211781937064397, 0.36441630266867575, 0.24502499999999999},
                      {0.80461369509839931, -1.833922277348307, 0.34018421087883444, 0.24257474999999998}});
  }
  SECTION("adamw amsgrad") {
    AdamWOptions o;
    o.lr = 0.1;
    o.weight_decay = 0.1;
    o.amsgrad = true;
    check_trajectory(maker<AdamW>(o),
                     {{0.89000009999990004, -1.8800000333333222, 0.39500000499999977, 0.2475},
                      {0.78458195745199777, -1.8211781937064397, 0.36441630266867575, 0.24502499999999999},
                      {0.80461369509839931, -1.833922277348307, 0.3401945074171972, 0.24257474999999998}});
  }
}

TEST_CASE("RMSprop trajectories match hand-computed values", "[optim]") {
  // lr 0.01, rho 0.9, eps 1e-7. Step 1: s = 0.1 g^2, so x -= 0.01 / sqrt(0.1) * sign(g).
  SECTION("plain") {
    check_trajectory(maker<Rmsprop>(RmspropOptions{.lr = 0.01}),
                     {{0.96837732339799998, -1.9683772567316145, 0.46837722839831541, 0.25},
                      {0.93980593564283965, -1.9788600941098342, 0.48312142183989243, 0.25},
                      {0.96896155279820118, -2.004578365680354, 0.48312142183989243, 0.25}});
  }
  SECTION("momentum 0.9") {
    check_trajectory(maker<Rmsprop>(RmspropOptions{.lr = 0.01, .momentum = 0.9}),
                     {{0.96837732339799998, -1.9683772567316145, 0.46837722839831541, 0.25},
                      {0.91134552670103963, -1.9503996251682871, 0.45466092739837627, 0.25},
                      {0.88917252682913672, -1.9599380283318122, 0.44231625649843104, 0.25}});
  }
  SECTION("centered") {
    check_trajectory(maker<Rmsprop>(RmspropOptions{.lr = 0.01, .centered = true}),
                     {{0.96666677777740739, -1.9666667037036625, 0.4666666722222213, 0.25},
                      {0.93527471976068266, -1.977320071889235, 0.48151451679054857, 0.25},
                      {0.96471766365013667, -2.0033689268094399, 0.48151451679054857, 0.25}});
  }
  SECTION("centered, momentum 0.9, weight decay 0.1") {
    check_trajectory(
        maker<Rmsprop>(RmspropOptions{.lr = 0.01, .momentum = 0.9, .centered = true, .weight_decay = 0.1}),
        {{0.96666672222212968, -1.966666688888874, 0.46666667208671997, 0.21666711110518527},
         {0.907189653063043, -1.9299063107890311, 0.45070513756942771, 0.16298337487365683},
         {0.87815968705234526, -1.9100300408280038, 0.43564031013599902, 0.097296534027985132}});
  }
}

TEST_CASE("update rules are PyTorch's where Keras computes differently", "[optim]") {
  Tensor x = leaf({0.0}, DType::f64);
  SECTION("Adam: eps is added after the bias correction") {
    // g = 1e-7, lr 1, t = 1: m = 1e-8, v = 1e-17.
    // PyTorch: 1/(1-0.9) * 1e-8 / (sqrt(1e-17)/sqrt(1-0.999) + 1e-7) = 1e-7 / 2e-7 = 0.5.
    // Keras:   sqrt(0.001)/0.1 * 1e-8 / (sqrt(1e-17) + 1e-7) = 0.0306534...
    Adam opt({x}, AdamOptions{.lr = 1.0});
    set_grad(x, Tensor::from_vector<double>({1e-7}, {1}));
    opt.step();
    require_close(x, {-0.5}, 1e-12);
  }
  SECTION("SGD momentum: the buffer carries no learning rate") {
    // g = 1 twice, lr 0.1 then 0.01, momentum 0.9.
    // PyTorch: buf 1 -> x = -0.1; buf 1.9 -> x = -0.1 - 0.019 = -0.119.
    // Keras:   v = -0.1 -> x = -0.1; v = 0.9 * -0.1 - 0.01 = -0.1 -> x = -0.2.
    Sgd opt({x}, SgdOptions{.lr = 0.1, .momentum = 0.9});
    set_grad(x, Tensor::from_vector<double>({1.0}, {1}));
    opt.step();
    opt.set_lr(0.01);
    opt.step();
    require_close(x, {-0.119}, 1e-12);
  }
  SECTION("RMSprop: eps is added outside the square root") {
    // g = 1e-4, lr 0.01, rho 0.9: s = 1e-9.
    // PyTorch: 0.01 * 1e-4 / (sqrt(1e-9) + 1e-7) = 0.0315231; Keras: 0.01 * 1e-4 / sqrt(1e-9 + 1e-7) = 0.0031466.
    Rmsprop opt({x}, RmspropOptions{.lr = 0.01});
    set_grad(x, Tensor::from_vector<double>({1e-4}, {1}));
    opt.step();
    require_close(x, {-0.031523091832602122}, 1e-12);
  }
}

TEST_CASE("step() skips parameters without a gradient and zero_grad keeps the buffers", "[optim]") {
  Tensor a = leaf({1.0, 2.0}, DType::f32), b = leaf({3.0}, DType::f32);
  Sgd opt({a, b}, SgdOptions{.lr = 0.5});
  set_grad(a, Tensor::from_vector<float>({2.f, -2.f}, {2}));
  opt.step();  // b has no gradient yet
  require_close(a, {0.0, 3.0});
  require_close(b, {3.0});
  const void* buffer = a.grad().data_ptr();
  opt.zero_grad();
  CHECK(a.grad().data_ptr() == buffer);
  require_close(a.grad(), {0.0, 0.0});
  CHECK(!b.grad().defined());
  opt.step();
  require_close(a, {0.0, 3.0});
  CHECK(opt.step_count() == 2);
}

TEST_CASE("state() names every tensor, and a restored optimizer takes a bitwise identical next step", "[optim]") {
  struct Case {
    const char* what;
    MakeOptimizer make;
    std::vector<std::string> names;
  };
  AdamWOptions adamw;
  adamw.amsgrad = true;
  const std::vector<Case> cases = {
      {"sgd nesterov", maker<Sgd>(SgdOptions{.momentum = 0.9, .nesterov = true}),
       {"sgd.step", "sgd.momentum.0", "sgd.momentum.1"}},
      {"adam", maker<Adam>(AdamOptions{}), {"adam.step", "adam.m.0", "adam.m.1", "adam.v.0", "adam.v.1"}},
      {"adamw amsgrad", maker<AdamW>(adamw),
       {"adamw.step", "adamw.m.0", "adamw.m.1", "adamw.v.0", "adamw.v.1", "adamw.vmax.0", "adamw.vmax.1"}},
      {"rmsprop centered momentum", maker<Rmsprop>(RmspropOptions{.momentum = 0.5, .centered = true}),
       {"rmsprop.step", "rmsprop.square_avg.0", "rmsprop.square_avg.1", "rmsprop.momentum.0", "rmsprop.momentum.1",
        "rmsprop.grad_avg.0", "rmsprop.grad_avg.1"}},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Tensor a = randn({5}, 1), b = randn({2, 3}, 2);
    a.set_requires_grad(true);
    b.set_requires_grad(true);
    auto first = c.make({a, b});
    for (uint64_t s = 0; s < 2; ++s) {
      set_grad(a, randn({5}, 10 + s));
      set_grad(b, randn({2, 3}, 20 + s));
      first->step();
    }
    // A checkpoint: copies of the state and of the parameters.
    NamedTensors saved;
    for (const auto& [n, t] : first->state()) saved.push_back({n, t.clone()});
    std::vector<std::string> names;
    for (const auto& [n, t] : saved) names.push_back(n);
    CHECK(names == c.names);
    CHECK(saved[0].second.dtype() == DType::f64);
    CHECK(saved[0].second.item() == 2.0);
    Tensor a2 = a.detach().clone(), b2 = b.detach().clone();
    a2.set_requires_grad(true);
    b2.set_requires_grad(true);
    auto second = c.make({a2, b2});
    second->load_state(saved);
    CHECK(second->step_count() == 2);
    first->load_state(first->state());  // restoring its own live state changes nothing

    const Tensor ga = randn({5}, 30), gb = randn({2, 3}, 31);
    set_grad(a, ga);
    set_grad(b, gb);
    set_grad(a2, ga);
    set_grad(b2, gb);
    first->step();
    second->step();
    CHECK(a.to_vector<float>() == a2.to_vector<float>());
    CHECK(b.to_vector<float>() == b2.to_vector<float>());
    const NamedTensors s1 = first->state(), s2 = second->state();
    for (size_t k = 1; k < s1.size(); ++k) {
      INFO(s1[k].first);
      CHECK(s1[k].second.to_vector<float>() == s2[k].second.to_vector<float>());
    }
  }
}

TEST_CASE("load_state reports every mismatch at once", "[optim]") {
  Tensor a = leaf({1.0, 2.0}, DType::f32);
  Adam opt({a});
  NamedTensors bad = {
      {"adam.step", Tensor::scalar(0.0, DType::f64)},
      {"adam.m.0", Tensor::zeros({3})},                // wrong shape
      {"adam.v.0", Tensor::zeros({2}, DType::f64)},    // wrong dtype
      {"adam.vmax.0", Tensor::zeros({2})},             // not this optimizer's
  };
  try {
    opt.load_state(bad);
    FAIL("load_state accepted a mismatched state");
  } catch (const Error& e) {
    const std::string m = e.what();
    CHECK_THAT(m, Catch::Contains("3 mismatch"));
    CHECK_THAT(m, Catch::Contains("adam.m.0 is float32(3,)"));
    CHECK_THAT(m, Catch::Contains("adam.v.0 is float64(2,)"));
    CHECK_THAT(m, Catch::Contains("unexpected adam.vmax.0"));
  }
  CHECK_THROWS_WITH(opt.load_state({{"adam.m.0", Tensor::zeros({2})}, {"adam.v.0", Tensor::zeros({2})}}),
                    Catch::Contains("missing adam.step"));
  CHECK_THROWS_WITH(opt.load_state({{"adam.step", Tensor::scalar(1.5, DType::f64)},
                                    {"adam.m.0", Tensor::zeros({2})},
                                    {"adam.v.0", Tensor::zeros({2})}}),
                    Catch::Contains("not a step count"));
}

TEST_CASE("bad hyperparameters and parameter lists give clear errors", "[optim]") {
  Tensor a = leaf({1.0}, DType::f32);
  CHECK_THROWS_WITH(Sgd({a}, SgdOptions{.lr = -0.1}),
                    Catch::Contains("sgd: learning rate must be a finite number >= 0, got -0.1"));
  CHECK_THROWS_WITH(Adam({a}, AdamOptions{.lr = NAN}), Catch::Contains("adam: learning rate"));
  CHECK_THROWS_WITH(Adam({a}, AdamOptions{.beta1 = 1.0}), Catch::Contains("adam: beta1 must be in [0, 1), got 1"));
  CHECK_THROWS_WITH(Adam({a}, AdamOptions{.beta2 = -0.5}), Catch::Contains("adam: beta2 must be in [0, 1), got -0.5"));
  CHECK_THROWS_WITH(Adam({a}, AdamOptions{.eps = 0.0}), Catch::Contains("adam: eps must be a finite number > 0"));
  AdamWOptions w;
  w.weight_decay = -1;
  CHECK_THROWS_WITH(AdamW({a}, w), Catch::Contains("adamw: weight_decay must be a finite number >= 0, got -1"));
  CHECK_THROWS_WITH(Sgd({a}, SgdOptions{.momentum = 1.5}), Catch::Contains("sgd: momentum must be in [0, 1)"));
  CHECK_THROWS_WITH(Sgd({a}, SgdOptions{.nesterov = true}), Catch::Contains("nesterov needs momentum > 0"));
  CHECK_THROWS_WITH(Rmsprop({a}, RmspropOptions{.rho = 1.0}), Catch::Contains("rmsprop: rho must be in [0, 1)"));
  Sgd ok({a});
  CHECK_THROWS_WITH(ok.set_lr(-1.0), Catch::Contains("sgd: learning rate"));
  CHECK(ok.lr() == 0.01);

  CHECK_THROWS_WITH(Adam({}), Catch::Contains("empty parameter list"));
  CHECK_THROWS_WITH(Adam({Tensor::zeros({2})}), Catch::Contains("must be a leaf tensor that requires grad"));
  CHECK_THROWS_WITH(Adam({a, leaf({1.0}, DType::f64)}), Catch::Contains("differs in dtype or device"));
  CHECK_THROWS_WITH(Adam({a, a}), Catch::Contains("appears more than once"));
  CHECK_THROWS_WITH(Adam({scale(a, 2.0)}), Catch::Contains("leaf"));
  set_grad(a, Tensor::zeros({1}, DType::f64));
  CHECK_THROWS_WITH(ok.step(), Catch::Contains("gradient float64(1,)") && Catch::Contains("does not match"));
}

TEST_CASE("make_optimizer builds each optimizer by name with its defaults", "[optim]") {
  Tensor a = leaf({1.0}, DType::f32);
  for (const char* n : {"sgd", "adam", "adamw", "rmsprop"}) CHECK(std::string(make_optimizer(n, {a})->name()) == n);
  CHECK(make_optimizer("sgd", {a})->lr() == 0.01);
  auto adamw = make_optimizer("adamw", {a}, OptimizerOptions{.lr = 0.002, .amsgrad = true});
  const auto& ao = dynamic_cast<AdamW&>(*adamw).options();
  CHECK(ao.lr == 0.002);
  CHECK(ao.weight_decay == 0.01);
  CHECK(ao.eps == 1e-7);
  CHECK(ao.amsgrad);
  auto rms = make_optimizer("rmsprop", {a}, OptimizerOptions{.rho = 0.95, .centered = true});
  CHECK(dynamic_cast<Rmsprop&>(*rms).options().rho == 0.95);
  CHECK(dynamic_cast<Rmsprop&>(*rms).options().centered);
  CHECK_THROWS_WITH(make_optimizer("adagrad", {a}), Catch::Contains("unknown optimizer 'adagrad'") &&
                                                        Catch::Contains("sgd, adam, adamw or rmsprop"));
  CHECK_THROWS_WITH(make_optimizer("adam", {a}, OptimizerOptions{.momentum = 0.9}),
                    Catch::Contains("adam has no option momentum"));
  CHECK_THROWS_WITH(make_optimizer("sgd", {a}, OptimizerOptions{.lr = -1.0}), Catch::Contains("learning rate"));
}

// ------------------------------------------------------------------------ GPU

TEST_CASE("optim_step_ updates the parameters that have a gradient and checks its state", "[optim]") {
  Tensor a = leaf({1.0, 2.0}, DType::f64), b = leaf({3.0}, DType::f64);
  set_grad(a, Tensor::from_vector<double>({0.5, -1.0}, {2}));
  OptimStepParams p;
  p.kind = OptimKind::Sgd;
  p.lr = p.step_size = 0.25;
  OptimStepCache cache;
  const std::vector<std::vector<Tensor>> no_state(kOptimSlots);
  optim_step_({a, b}, no_state, p, cache, "test");
  require_close(a, {1.0 - 0.25 * 0.5, 2.0 + 0.25}, 0);  // exact in binary
  require_close(b, {3.0}, 0);                           // no gradient: untouched
  CHECK(cache.descs.empty());  // the CPU reads the descriptors in place: nothing uploaded
  CHECK_THROWS_WITH(optim_step_({a}, std::vector<std::vector<Tensor>>(2), p, cache, "test"),
                    Catch::Contains("test: 2 state slots, expected 3"));
  std::vector<std::vector<Tensor>> short_slot(kOptimSlots);
  short_slot[0] = {Tensor::zeros({2}, DType::f64)};
  CHECK_THROWS_WITH(optim_step_({a, b}, short_slot, p, cache, "test"),
                    Catch::Contains("test: a state slot holds 1 tensors for 2 parameters"));
}

TEST_CASE("CUDA optim_step_ uploads its descriptors once per set of gradient buffers", "[optim][gpu]") {
  require_gpu();
  Tensor a = leaf({1.0, 2.0}, DType::f32, Device::cuda());
  set_grad(a, Tensor::from_vector<float>({0.5f, -1.0f}, {2}, Device::cuda()));
  OptimStepParams p;
  p.kind = OptimKind::Sgd;
  p.lr = p.step_size = 0.25;
  OptimStepCache cache;
  const std::vector<std::vector<Tensor>> no_state(kOptimSlots);
  optim_step_({a}, no_state, p, cache, "test");
  REQUIRE(cache.on_device.defined());
  CHECK(cache.on_device.device() == Device::cuda());
  const void* uploaded = cache.on_device.data_ptr();
  optim_step_({a}, no_state, p, cache, "test");
  CHECK(cache.on_device.data_ptr() == uploaded);  // same gradient buffer: nothing allocated
  // A new gradient buffer changes the descriptors: uploaded again, while the
  // old copy is still alive, so at another address.
  Tensor(a).set_grad(Tensor::from_vector<float>({0.5f, -1.0f}, {2}, Device::cuda()));
  optim_step_({a}, no_state, p, cache, "test");
  CHECK(cache.on_device.data_ptr() != uploaded);
  require_close(a, {1.0 - 3 * 0.25 * 0.5, 2.0 + 3 * 0.25}, 0);
}

TEST_CASE("CUDA optimizer steps match the CPU backend", "[optim][gpu]") {
  require_gpu();
  // Awkward sizes: one element, a prime, a non-multiple of the 512-element
  // chunk, and a large prime spanning many chunks and blocks.
  const std::vector<Shape> shapes = {{1}, {7}, {10, 100}, {100003}};
  AdamWOptions adamw;
  adamw.amsgrad = true;
  const std::vector<std::pair<const char*, MakeOptimizer>> cases = {
      {"sgd", maker<Sgd>(SgdOptions{.lr = 0.1})},
      {"sgd nesterov wd", maker<Sgd>(SgdOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01})},
      {"adam", maker<Adam>(AdamOptions{})},
      {"adam amsgrad wd", maker<Adam>(AdamOptions{.weight_decay = 0.01, .amsgrad = true})},
      {"adamw amsgrad", maker<AdamW>(adamw)},
      {"rmsprop", maker<Rmsprop>(RmspropOptions{})},
      {"rmsprop centered momentum", maker<Rmsprop>(RmspropOptions{.momentum = 0.9, .centered = true})},
  };
  for (const auto& [what, make] : cases) {
    INFO(what);
    std::vector<Tensor> cpu, gpu;
    for (size_t i = 0; i < shapes.size(); ++i) {
      Tensor p = randn(shapes[i], 100 + i);
      cpu.push_back(p.clone());
      gpu.push_back(p.to(Device::cuda()));
      cpu.back().set_requires_grad(true);
      gpu.back().set_requires_grad(true);
    }
    auto oc = make(cpu), og = make(gpu);
    for (uint64_t s = 0; s < 5; ++s) {
      for (size_t i = 0; i < shapes.size(); ++i) {
        const Tensor g = randn(shapes[i], 1000 * s + i);
        set_grad(cpu[i], g);
        set_grad(gpu[i], g.to(Device::cuda()));
      }
      oc->step();
      og->step();
    }
    // Same formulas in float32 on both sides; the GPU may contract a*b+c into
    // an FMA, so elements differ by a few ulps after five steps.
    for (size_t i = 0; i < shapes.size(); ++i) {
      INFO("parameter " << i);
      CHECK(rel_err(gpu[i], cpu[i]) < 1e-5);
    }
    const NamedTensors sc = oc->state(), sg = og->state();
    REQUIRE(sc.size() == sg.size());
    CHECK(sg[0].second.item() == 5.0);
    for (size_t k = 1; k < sc.size(); ++k) {
      INFO(sc[k].first);
      CHECK(sg[k].second.device().is_cuda());
      CHECK(rel_err(sg[k].second, sc[k].second) < 1e-5);
    }
    // A CUDA optimizer's state restores into a CPU one.
    std::vector<Tensor> fresh;
    for (const Tensor& p : cpu) fresh.push_back(p.detach().clone().set_requires_grad(true));
    auto restored = make(fresh);
    restored->load_state(sg);
    CHECK(restored->step_count() == 5);
  }
}
