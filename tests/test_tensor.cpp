#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

TEST_CASE("tensors hold shape, dtype and values", "[tensor]") {
  Tensor t = Tensor::from_vector<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.dim() == 2);
  CHECK(t.size(-1) == 3);
  CHECK(t.numel() == 6);
  CHECK(t.nbytes() == 24);
  CHECK(t.describe() == "int32(2, 3) on cpu");
  CHECK(Tensor::full({2}, 2.5, DType::f64).to_vector<double>() == std::vector<double>{2.5, 2.5});
  CHECK(Tensor::scalar(7, DType::u8).item() == 7);
  CHECK(Tensor::zeros({1, 1, 1, 1, 2}).numel() == 2);
  CHECK_THROWS_WITH(Tensor::zeros({1, 1, 1, 1, 1, 1}), Catch::Contains("at most 5"));
  CHECK_THROWS_WITH(t.to_vector<float>(), Catch::Contains("int32(2, 3)"));
  CHECK_THROWS_WITH(Tensor::from_vector<float>({1, 2, 3}, {2, 2}), Catch::Contains("(2, 2)"));
  CHECK_THROWS_WITH(Tensor().shape(), Catch::Contains("undefined"));
}

TEST_CASE("reshape is a view; clone is a copy", "[tensor]") {
  Tensor a = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor v = a.reshape({3, -1});
  CHECK(v.shape() == Shape{3, 2});
  CHECK(v.same_storage(a));
  fill_(v, 9.0);
  CHECK(a.to_vector<float>() == std::vector<float>(6, 9.0f));
  Tensor c = a.clone();
  CHECK_FALSE(c.same_storage(a));
  fill_(c, 1.0);
  CHECK(a.to_vector<float>()[0] == 9.0f);
  CHECK_THROWS_WITH(a.reshape({4, 2}), Catch::Contains("(2, 3)") && Catch::Contains("(4, 2)"));
  CHECK_THROWS_WITH(a.reshape({-1, -1}), Catch::Contains("more than one -1"));
}

TEST_CASE("reshape and dtype casts carry gradients", "[tensor][grad]") {
  gradcheck([](const std::vector<Tensor>& x) { return square(x[0].reshape({6})); }, {randn({2, 3}, 1, DType::f64)});
  gradcheck([](const std::vector<Tensor>& x) { return cast(cast(x[0], DType::f32), DType::f64); },
            {randn({4}, 2, DType::f64)}, 1e-3, 1e-3);  // float32 in the middle: 1e-3
}

TEST_CASE("a CUDA device is refused clearly without one", "[tensor]") {
  if (cuda_available()) return;  // the GPU case is covered by the [gpu] tests
  CHECK_THROWS_WITH(Tensor::zeros({2}, DType::f32, Device::cuda(0)), Catch::Contains("cuda:0") &&
                                                                          Catch::Contains("unavailable"));
  CHECK_THROWS_WITH(Device::parse("gpu"), Catch::Contains("unknown device 'gpu'"));
  CHECK(Device::parse("auto") == Device::cpu());
  CHECK(Device::parse("cuda:3").index == 3);
}

TEST_CASE("tensors move between host and device unchanged", "[tensor][gpu]") {
  require_gpu();
  for (DType dt : {DType::f32, DType::f64, DType::i32, DType::u8}) {
    Tensor h = cast(scale(randu({1001}, 3, 0, 1), 200.0), dt);
    Tensor d = h.to(Device::cuda(0));
    CHECK(d.device() == Device::cuda(0));
    Tensor back = d.clone().reshape({7, 143}).to(Device::cpu());
    CHECK(rel_err(back.reshape({1001}), h) == 0.0);
  }
  Tensor x = randn({5}, 4).to(Device::cuda(0)).set_requires_grad(true);
  sum(square(x.to(Device::cpu()))).backward();  // gradient flows back across the copy
  CHECK(rel_err(x.grad(), scale(x.detach(), 2.0)) < 1e-7);
  CHECK_THROWS_WITH(add(x.detach(), randn({5}, 5)), Catch::Contains("device mismatch") && Catch::Contains("cuda:0"));
}
