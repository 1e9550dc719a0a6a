#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

TEST_CASE("confusion matrix counts argmax against labels", "[metrics]") {
  // Row argmaxes: 2, 0, 1, 1; labels 2, 1, 1, 7 (out of range: not counted).
  Tensor logits = Tensor::from_vector<float>({0, 1, 5, 9, 2, 3, -1, 4, 0, 0.5f, 0.7f, 0.1f}, {4, 3});
  Tensor labels = Tensor::from_vector<int32_t>({2, 1, 1, 7}, {4});
  Tensor cm = Tensor::zeros({3, 3}, DType::i32);
  confusion_update_(cm, logits, labels);
  require_close(cm, {0, 0, 0, 1, 1, 0, 0, 0, 1});
  confusion_update_(cm, logits, labels);
  require_close(cm, {0, 0, 0, 2, 2, 0, 0, 0, 2});
  CHECK_THROWS_WITH(confusion_update_(Tensor::zeros({4, 4}, DType::i32), logits, labels),
                    Catch::Contains("(3, 3)"));
}

TEST_CASE("CUDA confusion matrix matches the CPU", "[metrics][gpu]") {
  require_gpu();
  for (int64_t n : {1, 63, 1000, 65537}) {
    Tensor logits = randn({n, 10}, 100 + n);
    Tensor labels = cast(scale(add_scalar(randu({n}, 200 + n, 0, 1), 0), 9.999), DType::i32);
    Tensor cm = Tensor::zeros({10, 10}, DType::i32);
    Tensor gcm = Tensor::zeros({10, 10}, DType::i32, Device::cuda(0));
    confusion_update_(cm, logits, labels);
    confusion_update_(gcm, logits.to(Device::cuda(0)), labels.to(Device::cuda(0)));
    CHECK(gcm.to(Device::cpu()).to_vector<int32_t>() == cm.to_vector<int32_t>());
  }
}
