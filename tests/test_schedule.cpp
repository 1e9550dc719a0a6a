#include "optim/schedule.h"
#include "optim/sgd.h"
#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {
void require_rates(const LrSchedule& s, const std::vector<std::pair<int64_t, double>>& expected) {
  for (const auto& [step, lr] : expected) {
    INFO(s.name() << " step " << step);
    CHECK(s.lr(step) == Approx(lr).epsilon(1e-14).margin(1e-17));
  }
}
}  // namespace

TEST_CASE("learning-rate schedules match hand-computed values", "[schedule]") {
  require_rates(ConstantLr(0.1), {{0, 0.1}, {1000, 0.1}});
  // Warm-up of 4: 0.1 * (s + 1) / 4.
  require_rates(ConstantLr(0.1, 4), {{0, 0.025}, {1, 0.05}, {2, 0.075}, {3, 0.1}, {4, 0.1}});
  // 0.1 * 0.5^floor(s / 3).
  require_rates(StepLr(0.1, 3, 0.5), {{0, 0.1}, {2, 0.1}, {3, 0.05}, {5, 0.05}, {6, 0.025}});
  // Warm-up of 2, then the decay counts from 0 again.
  require_rates(StepLr(0.1, 3, 0.5, 2), {{0, 0.05}, {1, 0.1}, {2, 0.1}, {4, 0.1}, {5, 0.05}});
  CHECK(StepLr(0.1, 3).lr(3) == Approx(0.01));  // PyTorch's gamma 0.1
  // 0.1 * 0.9^s; 0.9^10 = 0.3486784401.
  require_rates(ExponentialLr(0.1, 0.9), {{0, 0.1}, {1, 0.09}, {2, 0.081}, {10, 0.03486784401000001}});
  // 0.01 + 0.09 * (1 + cos(pi * s / 4)) / 2, then the floor 0.01.
  require_rates(CosineLr(0.1, 4, 0.01), {{0, 0.1},
                                         {1, 0.08681980515339463},
                                         {2, 0.055},
                                         {3, 0.023180194846605363},
                                         {4, 0.01},
                                         {100, 0.01}});
  require_rates(CosineLr(0.1, 4, 0.01, 2), {{0, 0.05}, {1, 0.1}, {2, 0.1}, {3, 0.08681980515339463}, {6, 0.01}});
  require_rates(CosineLr(0.2, 2), {{1, 0.1}, {2, 0.0}});
}

TEST_CASE("apply() sets the optimizer's rate for its next step", "[schedule]") {
  Tensor x = Tensor::zeros({1}).set_requires_grad(true);
  x.set_grad(Tensor::full({1}, 1.0));
  Sgd opt({x});
  const ExponentialLr s(0.1, 0.5);
  s.apply(opt);
  CHECK(opt.lr() == 0.1);
  opt.step();  // x = -0.1
  s.apply(opt);
  CHECK(opt.lr() == 0.05);
  opt.step();  // x = -0.15
  require_close(x, {-0.15}, 1e-7);
}

TEST_CASE("schedules reject bad settings and make_lr_schedule builds by name", "[schedule]") {
  CHECK_THROWS_WITH(ConstantLr(-1.0), Catch::Contains("learning rate must be a finite number >= 0"));
  CHECK_THROWS_WITH(ConstantLr(0.1, -1), Catch::Contains("warmup_steps must be >= 0"));
  CHECK_THROWS_WITH(StepLr(0.1, 0), Catch::Contains("step_size must be > 0"));
  CHECK_THROWS_WITH(StepLr(0.1, 3, 1.5), Catch::Contains("gamma must be in (0, 1], got 1.5"));
  CHECK_THROWS_WITH(ExponentialLr(0.1, 0.0), Catch::Contains("gamma must be in (0, 1]"));
  CHECK_THROWS_WITH(CosineLr(0.1, 0), Catch::Contains("decay_steps must be > 0"));
  CHECK_THROWS_WITH(CosineLr(0.1, 10, 0.2), Catch::Contains("min_lr must be in [0, base_lr"));
  CHECK_THROWS_WITH(ConstantLr(0.1).lr(-1), Catch::Contains("step must be >= 0"));

  CHECK(std::string(make_lr_schedule("constant", {.base_lr = 0.1})->name()) == "constant");
  auto cos = make_lr_schedule("cosine", {.base_lr = 0.1, .warmup_steps = 2, .decay_steps = 4, .min_lr = 0.01});
  CHECK(cos->lr(3) == Approx(0.08681980515339463));
  CHECK(make_lr_schedule("step", {.base_lr = 0.1, .step_size = 3})->lr(3) == Approx(0.01));
  CHECK(make_lr_schedule("exponential", {.base_lr = 0.1, .gamma = 0.9})->lr(1) == Approx(0.09));
  CHECK_THROWS_WITH(make_lr_schedule("cyclic", {}), Catch::Contains("unknown learning-rate schedule 'cyclic'"));
  CHECK_THROWS_WITH(make_lr_schedule("cosine", {}), Catch::Contains("cosine schedule needs decay_steps"));
  CHECK_THROWS_WITH(make_lr_schedule("exponential", {.gamma = 0.9, .min_lr = 0.0}),
                    Catch::Contains("exponential schedule has no option min_lr"));
}
