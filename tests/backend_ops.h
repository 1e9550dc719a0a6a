#pragma once
// The backend-ops table, after ggml's test-backend-ops: every op stem registers
// cases; tests/test_backend_ops.cpp runs each case on the CPU (the reference)
// and on the CUDA device with every algorithm the device can run, and compares
// each named result within its tolerance. A case builds its own seeded random
// inputs, runs the op forward and, where the op has a gradient, backward
// through autograd, and returns the outputs and input gradients.
//
// A stem's cases live in tests/backend_ops/<stem>.cpp:
//
//   CUDANET_BACKEND_OPS(softmax) {
//     std::vector<Case> cases;
//     cases.push_back({.entry = "softmax", .name = "3x31", .algos = {Algo::Native, Algo::Cudnn, Algo::Auto},
//                      .outputs = {{"y", 2e-5}, {"dx", 2e-5}},  // with a comment saying why
//                      .run = [](Inputs& in, Algo a) -> std::vector<Tensor> {
//                        Tensor x = in.leaf(in.normal({3, 31}));
//                        Tensor y = softmax(x, a);
//                        in.backward(y);
//                        return {y, x.grad()};
//                      }});
//     return cases;
//   }
//
// docs/testing.md says how to add an op's cases and how to list or run them.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test_util.h"

namespace cudanet::test::backend_ops {

// ------------------------------------------------------------------ the op table

// One op stem (core/ops/<stem>.cpp) and the entry points its cases name.
struct OpEntry {
  std::string_view stem;
  std::string_view entry_points;      // space-separated; each must have a case
  std::string_view not_compared = {};  // entry points left out of the table, and why
};

// Every op stem. The [backend-ops] coverage test fails when this list and the
// files core/ops/*.cpp differ, when an entry point here has no case, or when
// an entry point is no longer named in its stem's file.
inline constexpr OpEntry kOps[] = {
    {"batch_norm", "batch_norm"},
    {"bias", "bias_add"},
    {"clip_grad_norm", "clip_by_global_norm_"},
    {"confusion", "confusion_update_"},
    {"label_rank", "label_rank_update_"},
    {"conv2d", "conv2d"},
    {"cross_entropy", "cross_entropy check_labels",
     "check_label_flag: the CPU throws on a bad label inside cross_entropy, so it has no flag to compare "
     "(tests/test_cross_entropy.cpp covers the CUDA flag)"},
    {"dropout", "dropout"},
    {"elementwise",
     "add sub mul div scale add_scalar neg relu leaky_relu sigmoid tanh exp log sqrt square add_ axpy_ scale_ "
     "fill_ cast"},
    {"index_select", "index_select index_select_out"},
    // matmul_forward: the launchers' alpha and beta, which the entry point fixes at 1 and 0.
    {"matmul", "matmul matmul_forward"},
    {"mse_loss", "mse_loss"},
    {"one_hot", "one_hot"},
    {"optim_step", "optim_step_"},
    {"pool2d", "pool2d max_pool2d avg_pool2d"},
    {"random", "uniform_ normal_"},
    {"reduce", "sum mean max argmax"},
    {"softmax", "softmax log_softmax"},
};

constexpr bool is_op_stem(std::string_view stem) {
  for (const OpEntry& op : kOps)
    if (op.stem == stem) return true;
  return false;
}

// ------------------------------------------------------------------------ inputs

// What a case builds its inputs from: values drawn on the CPU from a seed
// stream and copied to the device, so the CPU and the device run see the same
// numbers. The stream starts from a hash of the case's name: every case has its
// own inputs, the same in every run.
class Inputs {
 public:
  Inputs(Device device, uint64_t seed) : device_(device), seed_(seed) {}
  Device device() const { return device_; }

  // N(mean, stddev^2) values: random, never all zero.
  Tensor normal(const Shape& s, DType dt = DType::f32, double mean = 0.0, double stddev = 1.0) {
    Tensor t = randn(s, next_seed(), dt);
    if (stddev != 1.0 || mean != 0.0) t = add_scalar(scale(t, stddev), mean);
    return t.to(device_);
  }
  // U[lo, hi) values.
  Tensor uniform(const Shape& s, double lo, double hi, DType dt = DType::f32) {
    return randu(s, next_seed(), lo, hi, dt).to(device_);
  }
  // n int32 class labels in [0, classes).
  Tensor labels(int64_t n, int64_t classes) {
    // Truncating [0, classes - 0.5) lands in [0, classes) even after rounding to float.
    return cast(randu({n}, next_seed(), 0.0, static_cast<double>(classes) - 0.5, DType::f64), DType::i32)
        .to(device_);
  }
  // `t` (already on the device) as a new leaf that requires grad.
  Tensor leaf(const Tensor& t) const { return test::leaf(t, device_); }
  // y.backward() with a random upstream gradient of y's shape and dtype, so the
  // backward kernels read a non-trivial gradient from device memory.
  void backward(const Tensor& y) { y.backward(normal(y.shape(), y.dtype())); }
  uint64_t next_seed() { return seed_++; }

 private:
  Device device_;
  uint64_t seed_;
};

// ------------------------------------------------------------------------- cases

// A named result and how close the device must come to the CPU:
// ||device - cpu|| / ||cpu|| <= tol, computed in double (the absolute norm
// where the CPU's result is all zeros); tol 0 asks for equal elements. Any
// non-finite value fails. The tolerance covers both sides' rounding: say why
// in a comment. A tiny result whose value cancels (a one-element sum of terms
// of either sign) can turn one ulp of its terms into a large relative error:
// bound the inputs, or compare a list of tensors end to end (optim_step.cpp).
struct Output {
  std::string name;
  double tol = 0.0;
};

struct Case {
  std::string op;     // the stem; filled in by CUDANET_BACKEND_OPS
  std::string entry;  // the entry point it exercises, one of its stem's in kOps
  std::string name;   // shapes and options, unique within the entry point
  // The algorithms to compare on the device; each runs where the device can
  // run it (runnable_algos: the emulated device drops cuDNN and cuBLAS). The
  // CPU reference runs once, with Algo::Default, which it ignores.
  std::vector<Algo> algos = {Algo::Native};
  std::vector<Output> outputs;  // what run returns, in order
  std::function<std::vector<Tensor>(Inputs&, Algo)> run;

  std::string full_name() const { return entry + " " + name; }
};

// --------------------------------------------------------------------- registry

using CaseMaker = std::vector<Case> (*)();
// Called before main by CUDANET_BACKEND_OPS; the cases are made on first use.
void register_cases(std::string_view stem, CaseMaker make);
// Every registered case, ordered by stem and then as each stem made them.
const std::vector<Case>& all_cases();

struct Registrar {
  Registrar(std::string_view stem, CaseMaker make) { register_cases(stem, make); }
};

}  // namespace cudanet::test::backend_ops

// Defines the function that makes a stem's cases (its body follows the macro
// and returns std::vector<Case>) and registers it. The stem must be in kOps.
#define CUDANET_BACKEND_OPS(stem)                                                                             \
  static_assert(::cudanet::test::backend_ops::is_op_stem(#stem),                                              \
                "CUDANET_BACKEND_OPS(" #stem "): not a stem of kOps in tests/backend_ops.h");                 \
  static std::vector<::cudanet::test::backend_ops::Case> cudanet_backend_ops_##stem();                        \
  static const ::cudanet::test::backend_ops::Registrar cudanet_backend_ops_registrar_##stem(                  \
      #stem, &cudanet_backend_ops_##stem);                                                                    \
  static std::vector<::cudanet::test::backend_ops::Case> cudanet_backend_ops_##stem()
