// The CPU kernels at every instruction-set level this build and this processor
// have (kernels/cpu/dispatch.h) against the baseline level, and the choice of
// the level (core/cpu_capability.h), CUDANET_CPU_CAPABILITY's errors included.
#include <cstdlib>
#include <optional>
#include <string>

#include "core/cpu_capability.h"
#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/pool2d.h"
#include "kernels/cpu/softmax.h"
#include "test_util.h"
#ifdef CUDANET_TRAIN_EXE
#include "cli_test_util.h"
#endif

namespace cudanet {
namespace {

using test::randn;
using test::rel_err;

constexpr CpuCapability kAll[] = {CpuCapability::Baseline, CpuCapability::Avx2, CpuCapability::Avx512,
                                  CpuCapability::Native};

// The reference model's conv2 (32 -> 64 channels, 13x13, 3x3) on 6 images.
Conv2dDims conv2_dims() {
  Conv2dDims d;
  d.n = 6, d.c = 32, d.h = 13, d.w = 13, d.o = 64, d.kh = 3, d.kw = 3, d.oh = 11, d.ow = 11;
  return d;
}

// What one level computes for a few kernels: the GEMM-based ones (Eigen's
// packets and FMA differ by level) and element-wise ones (the compiler's own
// vectorisation).
struct Outputs {
  Tensor conv, dw, mm, relu, drelu, pool, softmax;
};

Outputs run_level(const cpu::KernelFn* t) {
  const Conv2dDims d = conv2_dims();
  const Tensor x = randn({d.n, d.c, d.h, d.w}, 1), w = randn({d.o, d.c, d.kh, d.kw}, 2), b = randn({d.o}, 3);
  const Tensor dy = randn({d.n, d.o, d.oh, d.ow}, 4);
  Outputs o;
  o.conv = Tensor::empty({d.n, d.o, d.oh, d.ow});
  cpu::conv2d_forward.in(t)(o.conv, x, w, b, d);
  o.dw = Tensor::empty({d.o, d.c, d.kh, d.kw});
  cpu::conv2d_backward_filter.in(t)(o.dw, dy, x, d);

  MatmulParams mp;
  mp.m = 96, mp.n = 80, mp.k = 576, mp.trans_b = true;  // dense1's shape: (96, 576) . (80, 576)^T
  o.mm = Tensor::empty({mp.m, mp.n});
  cpu::matmul_forward.in(t)(o.mm, randn({mp.m, mp.k}, 5), randn({mp.n, mp.k}, 6), mp);

  const UnaryParams relu{UnaryOp::Relu};
  o.relu = Tensor::empty(x.shape());
  cpu::unary_forward.in(t)(o.relu, x, relu);
  o.drelu = Tensor::empty(x.shape());
  cpu::unary_backward.in(t)(o.drelu, x, o.relu, randn(x.shape(), 7), relu);

  Pool2dDims pd;
  pd.n = d.n, pd.c = d.c, pd.h = d.h, pd.w = d.w, pd.oh = 6, pd.ow = 6, pd.kh = 2, pd.kw = 2, pd.sh = 2, pd.sw = 2;
  o.pool = Tensor::empty({d.n, d.c, 6, 6});
  cpu::pool2d_forward.in(t)(o.pool, Tensor::empty({d.n, d.c, 6, 6}, DType::i32), x, pd);

  SoftmaxParams sp;
  sp.rows = 64, sp.cols = 10;
  o.softmax = Tensor::empty({sp.rows, sp.cols});
  cpu::softmax_forward.in(t)(o.softmax, randn({sp.rows, sp.cols}, 8), sp);
  return o;
}

TEST_CASE("cpu capability: every level this processor runs computes what the baseline computes", "[cpu_capability]") {
  // A native build has one level: it is compared with itself.
  const cpu::KernelFn* ref_table = cpu::kernels_for(CpuCapability::Baseline);
  if (!ref_table) ref_table = cpu::kernels_for(CpuCapability::Native);
  REQUIRE(ref_table != nullptr);
  const Outputs ref = run_level(ref_table);
  int levels = 0;
  for (CpuCapability c : kAll) {
    const cpu::KernelFn* t = cpu::kernels_for(c);
    INFO("level " << cpu_capability_name(c) << " (built " << cpu_capability_built(c) << ", processor supports up to "
                  << cpu_capability_name(cpu_capability_supported()) << ")");
    const bool runs = c == CpuCapability::Native || c <= cpu_capability_supported();
    CHECK((t != nullptr) == (cpu_capability_built(c) && runs));
    if (!t) continue;
    ++levels;
    const Outputs o = run_level(t);
    // The GEMMs sum K = 288 (conv2), 6 * 121 (its filter gradient) and 576
    // (matmul) products in an order and with a rounding (FMA or not) that
    // depend on the level: up to about sqrt(K) * 2^-24 ~ 1.6e-6 normwise on
    // random inputs (measured: 1.6e-7 to 3.4e-7); 1e-5 leaves room and still
    // catches a wrong kernel (errors ~1).
    CHECK(rel_err(o.conv, ref.conv) < 1e-5);
    CHECK(rel_err(o.dw, ref.dw) < 1e-5);
    CHECK(rel_err(o.mm, ref.mm) < 1e-5);
    // Element-wise maps and maxima round nothing: the same bits at every level.
    CHECK(rel_err(o.relu, ref.relu) == 0);
    CHECK(rel_err(o.drelu, ref.drelu) == 0);
    CHECK(rel_err(o.pool, ref.pool) == 0);
    // Softmax works in double and rounds once to float: the same bits with
    // GCC (no FMA contraction under -std=c++20, measured), at most a float
    // rounding apart where a compiler contracts the double arithmetic.
    CHECK(rel_err(o.softmax, ref.softmax) < 1e-7);
  }
  CHECK(levels >= 1);
}

TEST_CASE("cpu capability: the kernels run at the level cpu_capability() names", "[cpu_capability]") {
  const CpuCapability active = active_cpu_capability();
  CHECK(std::string(cpu_capability()) == cpu_capability_name(active));
  CHECK(cpu::active_kernels() == cpu::kernels_for(active));
  CHECK(cpu_capability_built(active));
  if (active != CpuCapability::Native) CHECK(active <= cpu_capability_supported());
  // Unset, the best level both the build and the processor have.
  const char* env = std::getenv("CUDANET_CPU_CAPABILITY");
  if (!env || !*env) CHECK(active == choose_cpu_capability(nullptr, cpu_capability_supported()));
}

// The error message of choose_cpu_capability(requested, supported), one line.
std::string refusal(const char* requested, CpuCapability supported) {
  try {
    choose_cpu_capability(requested, supported);
  } catch (const Error& e) {
    const std::string what = e.what();
    CHECK(what.find('\n') == std::string::npos);
    return what;
  }
  FAIL("CUDANET_CPU_CAPABILITY=" << requested << " was accepted");
  return "";
}

TEST_CASE("cpu capability: CUDANET_CPU_CAPABILITY forces a level or names what is wrong", "[cpu_capability]") {
  using Catch::Contains;
  using Catch::StartsWith;
  // Unset or empty: the best level built that the processor supports.
  for (const char* unset : {static_cast<const char*>(nullptr), ""}) {
    if (cpu_capability_built(CpuCapability::Native)) {
      CHECK(choose_cpu_capability(unset, CpuCapability::Baseline) == CpuCapability::Native);
      continue;
    }
    CHECK(choose_cpu_capability(unset, CpuCapability::Baseline) == CpuCapability::Baseline);
    const CpuCapability best =
        cpu_capability_built(CpuCapability::Avx2) ? CpuCapability::Avx2 : CpuCapability::Baseline;
    CHECK(choose_cpu_capability(unset, CpuCapability::Avx2) == best);
  }
  for (const char* bad : {"avx1024", "AVX2", "sse2", " baseline"}) {
    const std::string what = refusal(bad, CpuCapability::Avx2);
    CHECK_THAT(what, StartsWith(std::string("CUDANET_CPU_CAPABILITY=") + bad + ": no such level; use baseline, avx2 "
                                "or avx512 (this processor supports baseline, avx2;"));
  }
  // A level the processor lacks is refused, never run (it would be an illegal instruction).
  CHECK_THAT(refusal("avx2", CpuCapability::Baseline),
             StartsWith("CUDANET_CPU_CAPABILITY=avx2: this processor does not support it (it supports baseline)"));
  CHECK_THAT(refusal("avx512", CpuCapability::Avx2),
             StartsWith("CUDANET_CPU_CAPABILITY=avx512: this processor does not support it (it supports baseline, "
                        "avx2)"));
  if (cpu_capability_built(CpuCapability::Native)) {
    // -DCUDANET_NATIVE_CPU=ON: one level, native.
    CHECK_THAT(refusal("baseline", CpuCapability::Avx512),
               StartsWith("CUDANET_CPU_CAPABILITY=baseline: this build has no baseline kernels (it has native;"));
    CHECK(choose_cpu_capability("native", CpuCapability::Baseline) == CpuCapability::Native);
  } else {
    // Lower levels than the processor's are what the variable is for.
    CHECK(choose_cpu_capability("baseline", CpuCapability::Avx512) == CpuCapability::Baseline);
    if (cpu_capability_built(CpuCapability::Avx2))
      CHECK(choose_cpu_capability("avx2", CpuCapability::Avx512) == CpuCapability::Avx2);
    CHECK_THAT(refusal("native", CpuCapability::Avx512),
               StartsWith("CUDANET_CPU_CAPABILITY=native: this build has no native kernels"));
  }
}

#ifdef CUDANET_TRAIN_EXE
// Sets an environment variable for the trainer this test starts; restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_CASE("cpu capability: cudanet-train names its level and refuses a bad one in one line", "[cpu_capability][cli]") {
  using test::run;
  const std::string dir = test::tiny_dataset("cpu-capability", 20);
  const std::string args = "--device cpu --epochs 1 --batch-size 10 --data " + dir;
  {
    const ScopedEnv env("CUDANET_CPU_CAPABILITY", "avx1024");
    const test::Run r = run(args);
    CHECK(r.code == 1);
    CHECK(test::lines(r.out) == 1);
    CHECK_THAT(r.out, Catch::StartsWith("cudanet-train: error: CUDANET_CPU_CAPABILITY=avx1024: no such level"));
  }
  if (!cpu_capability_built(CpuCapability::Baseline)) return;  // a native build has no lower level to force
  const ScopedEnv env("CUDANET_CPU_CAPABILITY", "baseline");
  const test::Run r = run(args);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("cpu (baseline, "));
}
#endif

}  // namespace
}  // namespace cudanet
