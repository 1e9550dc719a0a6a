#include "optim/clip.h"
#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {
Tensor param_with_grad(const std::vector<float>& grad, Device d = Device::cpu()) {
  Tensor p = Tensor::zeros({static_cast<int64_t>(grad.size())}, DType::f32, d);
  p.set_requires_grad(true);
  p.set_grad(Tensor::from_vector(grad, {static_cast<int64_t>(grad.size())}, d));
  return p;
}
}  // namespace

TEST_CASE("clip_grad_norm_ scales all gradients by one global factor", "[clip]") {
  // Gradients (3, 4) and (12): norm sqrt(9 + 16 + 144) = 13.
  Tensor a = param_with_grad({3.f, 4.f}), b = param_with_grad({12.f});
  Tensor no_grad = Tensor::zeros({2}).set_requires_grad(true);
  SECTION("norm above max_norm: factor 6.5 / (13 + 1e-6) = 0.49999996153846454") {
    Tensor norm = clip_grad_norm_({a, no_grad, b}, 6.5);
    CHECK(norm.shape() == Shape{});
    CHECK(norm.item() == Approx(13.0).epsilon(1e-7));
    require_close(a.grad(), {1.4999998846153937, 1.9999998461538582}, 1e-7);
    require_close(b.grad(), {5.9999995384615747}, 1e-7);
    CHECK(!no_grad.grad().defined());
  }
  SECTION("norm below max_norm: unchanged") {
    Tensor norm = clip_grad_norm_({a, b}, 100.0);
    CHECK(norm.item() == Approx(13.0).epsilon(1e-7));
    require_close(a.grad(), {3.0, 4.0}, 0);
    require_close(b.grad(), {12.0}, 0);
  }
  SECTION("float64 gradients") {
    Tensor p = Tensor::zeros({2}, DType::f64).set_requires_grad(true);
    p.set_grad(Tensor::from_vector<double>({-6.0, 8.0}, {2}));
    Tensor norm = clip_grad_norm_({p}, 5.0);
    CHECK(norm.dtype() == DType::f64);
    CHECK(norm.item() == Approx(10.0).epsilon(1e-15));
    require_close(p.grad(), {-6.0 * 5.0 / (10.0 + 1e-6), 8.0 * 5.0 / (10.0 + 1e-6)}, 1e-14);
  }
  SECTION("no gradient at all: norm 0") {
    CHECK(clip_grad_norm_({no_grad}, 1.0).item() == 0.0);
  }
}

TEST_CASE("clip_grad_norm_ rejects bad arguments clearly", "[clip]") {
  Tensor a = param_with_grad({1.f});
  CHECK_THROWS_WITH(clip_grad_norm_({a}, 0.0), Catch::Contains("max_norm must be a finite number > 0, got 0"));
  CHECK_THROWS_WITH(clip_grad_norm_({a}, -1.0), Catch::Contains("max_norm"));
  CHECK_THROWS_WITH(clip_grad_norm_({a}, NAN), Catch::Contains("max_norm"));
  CHECK_THROWS_WITH(clip_grad_norm_({}, 1.0), Catch::Contains("empty parameter list"));
  Tensor d = Tensor::zeros({1}, DType::f64).set_requires_grad(true);
  d.set_grad(Tensor::zeros({1}, DType::f64));
  CHECK_THROWS_WITH(clip_grad_norm_({a, d}, 1.0), Catch::Contains("dtype mismatch"));
}

TEST_CASE("clip_by_global_norm_ clips any list of tensors, empty ones included", "[clip]") {
  // (3, 0), (), (4): norm 5, summed in double on the CPU, so exact.
  Tensor a = Tensor::from_vector<double>({3.0, 0.0}, {2});
  Tensor e = Tensor::empty({0}, DType::f64);
  Tensor b = Tensor::from_vector<double>({4.0}, {1});
  Tensor norm = clip_by_global_norm_({e, a, b}, 2.0);
  CHECK(norm.dtype() == DType::f64);
  CHECK(norm.item() == 5.0);
  require_close(a, {3.0 * 2.0 / (5.0 + 1e-6), 0.0}, 1e-15);
  require_close(b, {4.0 * 2.0 / (5.0 + 1e-6)}, 1e-15);
  CHECK(clip_by_global_norm_({e}, 1.0).item() == 0.0);
  CHECK_THROWS_WITH(clip_by_global_norm_({}, 1.0), Catch::Contains("empty tensor list"));
  CHECK_THROWS_WITH(clip_by_global_norm_({a}, 0.0), Catch::Contains("max_norm must be a finite number > 0"));
  CHECK_THROWS_WITH(clip_by_global_norm_({a, Tensor::zeros({1}, DType::i32)}, 1.0),
                    Catch::Contains("expected a float32 or float64 tensor"));
  CHECK_THROWS_WITH(clip_by_global_norm_({a, Tensor::zeros({1})}, 1.0), Catch::Contains("dtype mismatch"));
}

TEST_CASE("CUDA clip_grad_norm_ matches the CPU backend", "[clip][gpu]") {
  require_gpu();
  // Awkward sizes, then 300 small gradients: more than one 128-tensor launch group.
  std::vector<int64_t> sizes = {1, 7, 1000, 100003};
  for (int i = 0; i < 300; ++i) sizes.push_back(1 + (i * 37) % 101);
  for (double max_norm : {1.0, 1e6}) {
    INFO("max_norm " << max_norm);
    std::vector<Tensor> cpu, gpu;
    for (size_t i = 0; i < sizes.size(); ++i) {
      Tensor g = randn({sizes[i]}, 500 + i);
      Tensor pc = Tensor::zeros({sizes[i]}).set_requires_grad(true);
      Tensor pg = Tensor::zeros({sizes[i]}, DType::f32, Device::cuda()).set_requires_grad(true);
      pc.set_grad(g.clone());
      pg.set_grad(g.to(Device::cuda()));
      cpu.push_back(pc);
      gpu.push_back(pg);
    }
    const Tensor nc = clip_grad_norm_(cpu, max_norm), ng = clip_grad_norm_(gpu, max_norm);
    CHECK(ng.device().is_cuda());
    // Both sum squares in double; the orders differ, so the norms agree to
    // double rounding and then to one float32 rounding.
    CHECK(rel_err(ng, nc) < 1e-6);
    for (size_t i = 0; i < sizes.size(); ++i) {
      INFO("gradient " << i << " of " << sizes[i]);
      CHECK(rel_err(gpu[i].grad(), cpu[i].grad()) < 1e-6);
    }
  }
}
