// Non-finite numbers propagate as in PyTorch: a NaN input gives a NaN output
// from every op that reads it, on the CPU and on the CUDA device alike, so a
// broken model is seen as broken (issue 17: ReLU mapped NaN to 0, and a
// checkpoint of NaNs evaluated to 0.1000).
#include "test_util.h"

#include <limits>

#include "core/ops.h"
#include "layers/zoo.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Random values with NaN at `nan_at` and +inf at `inf_at` (flat indices).
Tensor with_specials(const Shape& s, uint64_t seed, std::initializer_list<int64_t> nan_at,
                     std::initializer_list<int64_t> inf_at = {}) {
  Tensor t = randn(s, seed);
  for (int64_t i : nan_at) t.data<float>()[i] = kNaN;
  for (int64_t i : inf_at) t.data<float>()[i] = kInf;
  return t;
}

void check_nonfinite_ops(Device d) {
  // ReLU keeps NaN and inf; its gradient passes dy where the input is NaN.
  Tensor x = leaf(with_specials({2, 5}, 1, {3}, {7}), d);
  Tensor y = relu(x);
  sum(mul(y, randn({2, 5}, 2).to(d))).backward();
  const Tensor yc = y.to(Device::cpu()), gc = x.grad().to(Device::cpu());
  const Tensor xc = x.detach().to(Device::cpu());
  for (int64_t i = 0; i < 10; ++i) {
    const float v = xc.data<float>()[i];
    INFO("element " << i << " = " << v);
    if (i == 3) {
      CHECK(std::isnan(yc.data<float>()[i]));
      CHECK(std::isfinite(gc.data<float>()[i]));  // dy passed through, as threshold_backward does
      CHECK(gc.data<float>()[i] != 0.0f);
    } else {
      CHECK(yc.data<float>()[i] == (v > 0 ? v : 0.0f));
    }
  }
  CHECK(std::isinf(yc.data<float>()[7]));
  // Leaky ReLU keeps NaN too.
  CHECK(std::isnan(leaky_relu(x.detach(), 0.1).to(Device::cpu()).data<float>()[3]));

  // Max over an axis: a NaN anywhere in the row is the row's max (torch.max).
  Tensor m = max(with_specials({3, 6}, 3, {8, 10}).to(d), 1).to(Device::cpu());
  CHECK(std::isfinite(m.data<float>()[0]));
  CHECK(std::isnan(m.data<float>()[1]));
  CHECK(std::isfinite(m.data<float>()[2]));

  // Max pooling: the window holding the NaN pools to NaN, its neighbours do not.
  Tensor p = max_pool2d(with_specials({1, 1, 4, 4}, 4, {5}).to(d), 2, 2, 0, Algo::Native).to(Device::cpu());
  CHECK(std::isnan(p.data<float>()[0]));
  CHECK(std::isfinite(p.data<float>()[1]));
  CHECK(std::isfinite(p.data<float>()[3]));

  // Softmax: the row with the NaN is NaN, the other rows are untouched.
  Tensor s = softmax(with_specials({2, 4}, 5, {1}).to(d), Algo::Native).to(Device::cpu());
  for (int64_t j = 0; j < 4; ++j) CHECK(std::isnan(s.data<float>()[j]));
  for (int64_t j = 4; j < 8; ++j) CHECK(std::isfinite(s.data<float>()[j]));

  // Dropout: NaN stays NaN whether kept or dropped (x * mask * scale).
  Tensor xn = Tensor::full({64}, kNaN).to(d);
  Generator g(6);
  Tensor dr = dropout(xn, 0.5, true, g).to(Device::cpu());
  for (int64_t i = 0; i < 64; ++i) CHECK(std::isnan(dr.data<float>()[i]));

  // A model whose weights hold one NaN gives NaN logits for every image.
  Generator gen(7);
  auto model = build_model("conv4x3-relu-pool2-flatten-dense10", Shape{1, 8, 8}, gen);
  Tensor w = model->parameters()[0];
  w.data<float>()[0] = kNaN;
  model->to(d);
  NoGradGuard no_grad;
  Tensor logits = model->forward(randn({3, 1, 8, 8}, 8).to(d)).to(Device::cpu());
  int64_t nans = 0;
  for (int64_t i = 0; i < logits.numel(); ++i) nans += std::isnan(logits.data<float>()[i]);
  CHECK(nans == logits.numel());
}

}  // namespace

TEST_CASE("NaN and inf propagate through ReLU, max, pooling, softmax, dropout and a model", "[nonfinite]") {
  check_nonfinite_ops(Device::cpu());
}

TEST_CASE("NaN and inf propagate on the CUDA device as on the CPU", "[nonfinite][gpu]") {
  require_gpu();
  check_nonfinite_ops(Device::cuda(0));
}
