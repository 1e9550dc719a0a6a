#include <tuple>

#include "kernels/cpu/matmul.h"
#include "test_util.h"
#ifdef CUDANET_WITH_CUDA
#include "core/cuda/context.h"
#include "kernels/cuda/sgemm.cuh"
#endif

using namespace cudanet;
using namespace cudanet::test;

namespace {

// A (2, 3) = [[1, 2, 3], [4, 5, 6]], B (3, 2) = [[7, 8], [9, 10], [11, 12]], and
// the transposes as they are stored when a trans flag is set.
// A·B = [[1*7 + 2*9 + 3*11, 1*8 + 2*10 + 3*12], [4*7 + 5*9 + 6*11, 4*8 + 5*10 + 6*12]]
//     = [[58, 64], [139, 154]].
const std::vector<double> kA{1, 2, 3, 4, 5, 6}, kAt{1, 4, 2, 5, 3, 6};
const std::vector<double> kB{7, 8, 9, 10, 11, 12}, kBt{7, 9, 11, 8, 10, 12};
const std::vector<double> kAB{58, 64, 139, 154};

template <class T>
Tensor make(const std::vector<double>& v, const Shape& s) {
  return Tensor::from_vector<T>(std::vector<T>(v.begin(), v.end()), s);
}

// Operands stored as matmul(…, ta, tb) expects them for op(A) (m, k), op(B) (k, n).
std::pair<Tensor, Tensor> operands(int64_t m, int64_t k, int64_t n, bool ta, bool tb, uint64_t seed, DType dt,
                                   Device d = Device::cpu()) {
  Tensor a = ta ? randn({k, m}, seed, dt, d) : randn({m, k}, seed, dt, d);
  Tensor b = tb ? randn({n, k}, seed + 1, dt, d) : randn({k, n}, seed + 1, dt, d);
  return {a, b};
}

}  // namespace

TEST_CASE("matmul matches a hand-computed product for every transpose combination", "[matmul]") {
  auto check = [](auto tag) {
    using T = decltype(tag);
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        INFO("trans_a " << ta << " trans_b " << tb);
        Tensor a = ta ? make<T>(kAt, {3, 2}) : make<T>(kA, {2, 3});
        Tensor b = tb ? make<T>(kBt, {2, 3}) : make<T>(kB, {3, 2});
        Tensor y = matmul(a, b, ta, tb);
        REQUIRE(y.shape() == Shape{2, 2});
        require_close(y, kAB, 0);
      }
  };
  check(float{});
  check(double{});
  // (3, 2)·(2, 3) with both stored transposed: rows of Aᵀ·Bᵀ = (B·A)ᵀ, e.g. entry
  // (0, 0) = A[0][0]*B[0][0] + A[1][0]*B[0][1] = 1*7 + 4*8 = 39.
  Tensor ba = matmul(make<double>(kA, {2, 3}), make<double>(kB, {3, 2}), true, true);
  REQUIRE(ba.shape() == Shape{3, 3});
  require_close(ba, {39, 49, 59, 54, 68, 82, 69, 87, 105}, 0);
}

TEST_CASE("matmul kernels honour alpha and beta", "[matmul]") {
  // C = 2 * A·B + 0.5 * C0 with C0 = [[2, 4], [6, 8]]: [[117, 130], [281, 312]].
  Tensor c = make<float>({2, 4, 6, 8}, {2, 2});
  MatmulParams p;
  p.m = p.n = 2;
  p.k = 3;
  p.alpha = 2.0;
  p.beta = 0.5;
  cpu::matmul_forward(c, make<float>(kA, {2, 3}), make<float>(kB, {3, 2}), p);
  require_close(c, {117, 130, 281, 312}, 0);
}

TEST_CASE("matmul with an empty inner dimension gives zeros", "[matmul]") {
  Tensor y = matmul(Tensor::zeros({3, 0}), Tensor::zeros({0, 2}));
  REQUIRE(y.shape() == Shape{3, 2});
  require_close(y, std::vector<double>(6, 0.0), 0);
  REQUIRE(matmul(Tensor::zeros({0, 4}), Tensor::zeros({4, 5})).shape() == Shape{0, 5});
}

TEST_CASE("matmul rejects mismatched operands and names them", "[matmul]") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 5});
  CHECK_THROWS_WITH(matmul(a, b), Catch::Contains("inner dimensions") && Catch::Contains("(2, 3)") &&
                                      Catch::Contains("(4, 5)") && Catch::Contains("trans_a=false") &&
                                      Catch::Contains("trans_b=false"));
  // (3, 2) transposed gives K = 3, (5, 4) transposed gives K = 4.
  CHECK_THROWS_WITH(matmul(Tensor::zeros({3, 2}), Tensor::zeros({5, 4}), true, true),
                    Catch::Contains("trans_a=true") && Catch::Contains("K=3") && Catch::Contains("K=4"));
  CHECK_NOTHROW(matmul(a, Tensor::zeros({5, 3}), false, true));
  CHECK_THROWS_WITH(matmul(Tensor::zeros({6}), b), Catch::Contains("2 dimensions") && Catch::Contains("(6,)"));
  CHECK_THROWS_WITH(matmul(a, Tensor::zeros({3, 2}, DType::f64)), Catch::Contains("dtype mismatch"));
  CHECK_THROWS_WITH(matmul(Tensor::zeros({2, 3}, DType::i32), Tensor::zeros({3, 2}, DType::i32)),
                    Catch::Contains("int32"));
}

TEST_CASE("matmul gradients match finite differences for every transpose combination", "[matmul][grad]") {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      INFO("trans_a " << ta << " trans_b " << tb);
      auto [a, b] = operands(3, 4, 5, ta, tb, 10 + 2 * ta + tb, DType::f64);
      gradcheck([ta, tb](const std::vector<Tensor>& x) { return matmul(x[0], x[1], ta, tb); }, {a, b});
    }
}

TEST_CASE("matmul computes only the gradients that are needed", "[matmul][grad]") {
  Tensor a = randn({3, 4}, 1, DType::f64).set_requires_grad(true);
  Tensor b = randn({4, 2}, 2, DType::f64);
  sum(matmul(a, b)).backward();
  // d sum(A·B) / dA[i][k] = sum_j B[k][j]: every row of dA is B's row sums.
  std::vector<double> bs = b.to_vector<double>(), expected;
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 4; ++k) expected.push_back(bs[2 * k] + bs[2 * k + 1]);
  require_close(a.grad(), expected, 1e-12);
  REQUIRE_FALSE(b.grad().defined());
}

// ------------------------------------------------------------------------- GPU
//
// Tolerances. A float32 dot product of length K accumulates rounding errors
// that behave like a random walk: relative error of order sqrt(K) * 2^-24, at
// most 1.9e-6 for K <= 1031. Measured against float64 on these inputs: 6e-7 for
// a plain sequential sum at K = 1031 (what one GPU thread does), 3e-7 for Eigen's
// blocked sum. So 1e-5 bounds the CUDA-vs-CPU difference with a 10x margin
// while one wrong element among a million still shows (~1e-3). Float64: sqrt(K) * 2^-53
// ~ 4e-15, so 1e-12.

namespace {

// (m, k, n): 1, primes and non-multiples of every tile, the reference model's
// dense layers (64x576)·(576x64) and (64x64)·(64x10), and large ones.
const std::vector<std::tuple<int64_t, int64_t, int64_t>> kSizes{
    {1, 1, 1},      {7, 13, 5},       {127, 129, 131}, {64, 576, 64},
    {64, 64, 10},   {513, 257, 1031}, {1024, 1024, 1024}};

double tolerance(DType dt) { return dt == DType::f32 ? 1e-5 : 1e-12; }

void compare_with_cpu(DType dt) {
  set_allow_tf32(false);
  uint64_t seed = 100;
  for (auto [m, k, n] : kSizes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        auto [a, b] = operands(m, k, n, ta, tb, seed += 2, dt);
        const Tensor ref = matmul(a, b, ta, tb);
        const Tensor ga = a.to(Device::cuda(0)), gb = b.to(Device::cuda(0));
        for (Algo algo : runnable_algos({Algo::Native, Algo::Cublas, Algo::Auto})) {
          INFO(dtype_name(dt) << " m=" << m << " k=" << k << " n=" << n << " ta=" << ta << " tb=" << tb << " "
                              << algo_name(algo));
          CHECK(rel_err(matmul(ga, gb, ta, tb, algo), ref) < tolerance(dt));
        }
      }
}

}  // namespace

TEST_CASE("CUDA matmul float32 matches the CPU with every algorithm (native cublas auto)", "[matmul][gpu]") {
  require_gpu();
  compare_with_cpu(DType::f32);
}

TEST_CASE("CUDA matmul float64 matches the CPU with every algorithm (native cublas auto)", "[matmul][gpu]") {
  require_gpu();
  compare_with_cpu(DType::f64);
}

TEST_CASE("CUDA matmul gradients match the CPU", "[matmul][gpu][grad]") {
  require_gpu();
  set_allow_tf32(false);
  uint64_t seed = 500;
  for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{7, 13, 5}, {64, 576, 64}, {129, 33, 70}})
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (Algo algo : runnable_algos({Algo::Native, Algo::Cublas})) {
          INFO("m=" << m << " k=" << k << " n=" << n << " ta=" << ta << " tb=" << tb << " " << algo_name(algo));
          auto [a, b] = operands(m, k, n, ta, tb, seed += 3, DType::f32);
          const Tensor w = randn({m, n}, seed + 2);
          a.set_requires_grad(true), b.set_requires_grad(true);
          sum(mul(matmul(a, b, ta, tb), w)).backward();
          Tensor ga = a.detach().to(Device::cuda(0)).set_requires_grad(true);
          Tensor gb = b.detach().to(Device::cuda(0)).set_requires_grad(true);
          sum(mul(matmul(ga, gb, ta, tb, algo), w.to(Device::cuda(0)))).backward();
          CHECK(rel_err(ga.grad(), a.grad()) < 1e-5);
          CHECK(rel_err(gb.grad(), b.grad()) < 1e-5);
        }
}

TEST_CASE("cuBLAS matmul with TF32 allowed stays within TF32 precision", "[matmul][gpu]") {
  require_gpu();
  require_vendor_libraries();
  auto [a, b] = operands(256, 512, 384, false, false, 900, DType::f32);
  const Tensor ref = matmul(a, b);
  const Tensor ga = a.to(Device::cuda(0)), gb = b.to(Device::cuda(0));
  // TF32 keeps 10 mantissa bits: unit roundoff 2^-11 ~ 4.9e-4 per product,
  // averaging down over the sum; 5e-3 leaves a factor of 10.
  set_allow_tf32(true);
  CHECK(rel_err(matmul(ga, gb, false, false, Algo::Cublas), ref) < 5e-3);
  set_allow_tf32(false);
  CHECK(rel_err(matmul(ga, gb, false, false, Algo::Cublas), ref) < 1e-5);
}

#ifdef CUDANET_WITH_CUDA
// The raw entry the convolution reuses: row strides wider than the matrices,
// alpha and beta, and a base pointer off 16-byte alignment (scalar path).
TEST_CASE("sgemm_native honours leading dimensions alpha beta and misalignment", "[matmul][gpu]") {
  require_gpu();
  const int M = 67, K = 36, N = 52;
  for (int offset : {0, 1})
    for (int pad : {0, 3, 4})
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          INFO("offset " << offset << " pad " << pad << " ta " << ta << " tb " << tb);
          const int arows = ta ? K : M, acols = ta ? M : K, brows = tb ? N : K, bcols = tb ? K : N;
          const int lda = acols + pad, ldb = bcols + pad, ldc = N + pad;
          const Tensor abuf = randn({arows * lda + offset}, 31), bbuf = randn({brows * ldb + offset}, 32);
          const Tensor cbuf = randn({M * ldc + offset}, 33);
          // The logical matrices, cut out of the padded buffers on the host.
          auto cut = [offset](const Tensor& buf, int rows, int cols, int ld) {
            const std::vector<float> v = buf.to_vector<float>();
            std::vector<float> out;
            for (int r = 0; r < rows; ++r)
              for (int c = 0; c < cols; ++c) out.push_back(v[offset + r * ld + c]);
            return Tensor::from_vector<float>(out, {rows, cols});
          };
          Tensor ref = cut(cbuf, M, N, ldc);
          MatmulParams p;
          p.m = M, p.n = N, p.k = K, p.trans_a = ta, p.trans_b = tb, p.alpha = 0.75, p.beta = -1.5;
          cpu::matmul_forward(ref, cut(abuf, arows, acols, lda), cut(bbuf, brows, bcols, ldb), p);

          const Tensor ga = abuf.to(Device::cuda(0)), gb = bbuf.to(Device::cuda(0)), gc = cbuf.to(Device::cuda(0));
          cuda::sgemm_native(ta, tb, M, N, K, 0.75f, ga.data<float>() + offset, lda, gb.data<float>() + offset, ldb,
                             -1.5f, gc.data<float>() + offset, ldc, cuda::context(0).stream);
          CHECK(rel_err(cut(gc.to(Device::cpu()), M, N, ldc), ref) < 1e-5);
          // The padding between rows is left untouched.
          const std::vector<float> before = cbuf.to_vector<float>(), after = gc.to_vector<float>();
          for (int r = 0; r < M; ++r)
            for (int c = N; c < ldc; ++c) REQUIRE(after[offset + r * ldc + c] == before[offset + r * ldc + c]);
        }
}
#endif
