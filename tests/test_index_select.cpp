#include "test_util.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {
Tensor idx(const std::vector<int32_t>& v, Device d = Device::cpu()) {
  return Tensor::from_vector<int32_t>(v, {static_cast<int64_t>(v.size())}, d);
}
}  // namespace

TEST_CASE("index_select gathers rows of every dtype", "[index_select]") {
  // Row r of x is {10 r, 10 r + 1}; index {3, 0, 3} picks rows 3, 0, 3.
  const std::vector<double> expected = {30, 31, 0, 1, 30, 31};
  Tensor x = Tensor::from_vector<float>({0, 1, 10, 11, 20, 21, 30, 31}, {4, 2});
  for (DType dt : {DType::f32, DType::f64, DType::i32, DType::u8}) {
    INFO(dtype_name(dt));
    Tensor y = index_select(cast(x, dt), idx({3, 0, 3}));
    REQUIRE(y.shape() == Shape{3, 2});
    REQUIRE(y.dtype() == dt);
    require_close(y, expected);
  }
  // 1-D input, 4-D input, and an empty index.
  require_close(index_select(Tensor::from_vector<int32_t>({5, 6, 7}, {3}), idx({2, 2, 1})), {7, 7, 6});
  Tensor x4 = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 1, 2, 2});
  Tensor y4 = index_select(x4, idx({1}));
  REQUIRE(y4.shape() == Shape{1, 1, 2, 2});
  require_close(y4, {5, 6, 7, 8});
  REQUIRE(index_select(x4, idx({})).shape() == Shape{0, 1, 2, 2});
}

TEST_CASE("index_select_out writes into an existing buffer", "[index_select]") {
  Tensor x = Tensor::from_vector<float>({0, 1, 10, 11, 20, 21}, {3, 2});
  Tensor out = Tensor::empty({2, 2});
  void* before = out.data_ptr();
  index_select_out(out, x, idx({2, 1}));
  REQUIRE(out.data_ptr() == before);
  require_close(out, {20, 21, 10, 11});
  CHECK_THROWS_WITH(index_select_out(Tensor::empty({3, 2}), x, idx({2, 1})),
                    Catch::Contains("index_select_out") && Catch::Contains("(2, 2)"));
  CHECK_THROWS_WITH(index_select_out(Tensor::empty({2, 2}, DType::f64), x, idx({2, 1})), Catch::Contains("dtype"));
}

TEST_CASE("index_select checks its index", "[index_select]") {
  Tensor x = Tensor::zeros({3, 2});
  CHECK_THROWS_WITH(index_select(x, idx({0, 3})), Catch::Contains("index 3 at position 1") && Catch::Contains("3 rows"));
  CHECK_THROWS_WITH(index_select(x, idx({-1})), Catch::Contains("index -1"));
  CHECK_THROWS_WITH(index_select(x, Tensor::zeros({2})), Catch::Contains("index must be int32"));
  CHECK_THROWS_WITH(index_select(x, Tensor::zeros({1, 2}, DType::i32)), Catch::Contains("1 dimensions"));
  CHECK_THROWS_WITH(index_select(Tensor::scalar(1.0), idx({0})), Catch::Contains("no rows"));
  // The CPU checks even when the caller waives the check (it would read outside x).
  CHECK_THROWS_WITH(index_select_out(Tensor::empty({1, 2}), x, idx({5}), false), Catch::Contains("index 5"));
}

TEST_CASE("index_select backward accumulates repeated rows", "[index_select][grad]") {
  // dy = 1 everywhere, index {3, 0, 3}: row 3 is picked twice (gradient 2), row 0
  // once (1), rows 1 and 2 never (0).
  Tensor x = Tensor::zeros({4, 2}, DType::f64).set_requires_grad(true);
  sum(index_select(x, idx({3, 0, 3}))).backward();
  require_close(x.grad(), {1, 1, 0, 0, 0, 0, 2, 2});

  Tensor xr = randn({5, 3, 2}, 7, DType::f64);
  gradcheck([](const std::vector<Tensor>& in) { return index_select(in[0], idx({4, 0, 4, 2, 4, 1})); }, {xr});
}

TEST_CASE("index_select on CUDA matches the CPU", "[index_select][gpu]") {
  require_gpu();
  const Device gpu = Device::cuda();
  uint64_t seed = 100;
  // Awkward sizes: one row, primes, MNIST's 784, and a large gather.
  for (int64_t rows_in : {1, 7, 1000, 60000})
    for (int64_t inner : {1, 3, 784}) {
      const int64_t rows_out = rows_in == 60000 ? 4099 : 2 * rows_in + 1;
      std::vector<int32_t> ind(static_cast<size_t>(rows_out));
      for (int64_t i = 0; i < rows_out; ++i) ind[i] = static_cast<int32_t>((i * 7919 + 13) % rows_in);
      const Tensor index = idx(ind);
      for (DType dt : {DType::f32, DType::f64, DType::i32, DType::u8}) {
        INFO(rows_in << " x " << inner << " -> " << rows_out << " " << dtype_name(dt));
        const Tensor x = cast(randu({rows_in, inner}, seed++, -100.0, 100.0, DType::f64), dt);
        const Tensor ref = index_select(x, index);
        const Tensor got = index_select(x.to(gpu), index.to(gpu));
        // A gather copies bits: equal, not close.
        REQUIRE(rel_err(got, ref) == 0.0);
      }
      // Backward: the CPU sums repeated rows in index order, CUDA by atomics in any
      // order; each output row collects at most ceil(rows_out / rows_in) <= 4099
      // float32 terms, so 1e-5 covers the rounding of a reordered sum.
      for (DType dt : {DType::f32, DType::f64}) {
        const Tensor x = randn({rows_in, inner}, seed++, dt);
        const Tensor dy = randn({rows_out, inner}, seed++, dt);
        const auto grad_of = [&](Device d) {
          Tensor xd = x.to(d).detach().set_requires_grad(true);
          index_select(xd, index.to(d)).backward(dy.to(d));
          return xd.grad();
        };
        REQUIRE(rel_err(grad_of(gpu), grad_of(Device::cpu())) < (dt == DType::f32 ? 1e-5 : 1e-12));
      }
    }
  // An index out of range throws as on the CPU, naming the first one; unchecked
  // (the loader's path) it gives a zero row, never a read outside x.
  const Tensor x = Tensor::full({2, 3}, 5.0, DType::f32, gpu);
  CHECK_THROWS_WITH(index_select(x, idx({1, 0, 2, -1}, gpu)),
                    Catch::Contains("index 2 at position 2") && Catch::Contains("2 rows"));
  Tensor out = Tensor::empty({3, 3}, DType::f32, gpu);
  CHECK_THROWS_WITH(index_select_out(out, x, idx({1, -1, 0}, gpu)), Catch::Contains("index -1 at position 1"));
  index_select_out(out, x, idx({1, 2, -1}, gpu), false);
  require_close(out, {5, 5, 5, 0, 0, 0, 0, 0, 0});
  // A check that passes leaves the gather as it was.
  require_close(index_select(x, idx({1, 0}, gpu)), {5, 5, 5, 5, 5, 5});
}
