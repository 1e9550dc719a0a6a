// core/memory.h: a device's free memory, and the pinned upload slots the data
// loader's prefetch is built on.
#include "core/memory.h"
#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

TEST_CASE("device memory queries and uploads reject what is not a CUDA device", "[memory]") {
  CHECK_THROWS_WITH(device_free_memory(Device::cpu()), Catch::Contains("cpu is not a CUDA device"));
  CHECK_THROWS_WITH(UploadSlot(std::vector<Tensor>{}), Catch::Contains("no destination tensors"));
  CHECK_THROWS_WITH(UploadSlot({Tensor::zeros({2})}), Catch::Contains("destinations must share one CUDA device"));
  if (!cuda_available()) {
    CHECK_THROWS_WITH(device_free_memory(Device::cuda()), Catch::Contains("CUDA is unavailable"));
  }
}

TEST_CASE("an UploadSlot copies its pinned buffers into device tensors in stream order", "[memory][gpu]") {
  require_gpu();
  CHECK(device_free_memory(Device::cuda()) > 0);
  Tensor x = Tensor::zeros({4, 3}, DType::f32, Device::cuda());  // (rows, 3)
  Tensor y = Tensor::zeros({4}, DType::i32, Device::cuda());     // (rows)
  UploadSlot slot({x, y});
  auto fill = [&](int base) {
    slot.wait_host();
    auto* hx = static_cast<float*>(slot.host(0));
    auto* hy = static_cast<int32_t*>(slot.host(1));
    for (int i = 0; i < 12; ++i) hx[i] = static_cast<float>(base + i);
    for (int i = 0; i < 4; ++i) hy[i] = base + i;
  };
  fill(100);
  const size_t all[] = {x.nbytes(), y.nbytes()};
  slot.upload(all);
  slot.acquire();
  std::vector<float> ex(12);
  for (int i = 0; i < 12; ++i) ex[i] = static_cast<float>(100 + i);
  CHECK(x.to_vector<float>() == ex);
  CHECK(y.to_vector<int32_t>() == std::vector<int32_t>{100, 101, 102, 103});
  slot.release();

  // Two rows only: the rest keeps the first upload.
  fill(200);
  const size_t two_rows[] = {6 * sizeof(float), 2 * sizeof(int32_t)};
  slot.upload(two_rows);
  slot.acquire();
  for (int i = 0; i < 6; ++i) ex[i] = static_cast<float>(200 + i);
  CHECK(x.to_vector<float>() == ex);
  CHECK(y.to_vector<int32_t>() == std::vector<int32_t>{200, 201, 102, 103});
  slot.release();

  const size_t too_long[] = {x.nbytes() + 4, 0};
  CHECK_THROWS_WITH(slot.upload(too_long), Catch::Contains("bytes into"));
  const size_t one[] = {4};
  CHECK_THROWS_WITH(slot.upload(one), Catch::Contains("1 sizes for 2 destinations"));
}
