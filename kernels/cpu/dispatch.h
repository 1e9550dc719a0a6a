#pragma once
// The CPU kernels are compiled once per instruction-set level (baseline,
// avx2, avx512; docs/architecture.md, "CPU capabilities") and chosen at run
// time. Each kernel header declares its kernels with
//
//   CUDANET_CPU_KERNEL(pool2d_forward, void(const Tensor& y, ..., const Pool2dDims& d));
//
// and its .cpp defines them in `namespace cudanet::cpu::CUDANET_CPU_VARIANT`.
// Inside a level's build (CUDANET_CPU_VARIANT defined: baseline, avx2, ...)
// the line declares that level's function. Everywhere else it declares
// `cpu::pool2d_forward`, a constant that calls like the function and runs the
// level chosen at start-up (core/cpu_capability.h), through the table of
// function pointers each level exports (kernel_table.cpp).
#include <cstddef>
#include <type_traits>

#include "core/cpu_capability.h"

// Every CPU kernel, in table order. A kernel is added here, in its header
// (CUDANET_CPU_KERNEL) and in its .cpp.
#define CUDANET_CPU_KERNELS(X)                                                                        \
  X(batch_norm_forward_training)                                                                      \
  X(batch_norm_forward_inference)                                                                     \
  X(batch_norm_backward)                                                                              \
  X(bias_add_forward)                                                                                 \
  X(bias_add_backward)                                                                                \
  X(clip_grad_norm)                                                                                   \
  X(confusion_update)                                                                                 \
  X(conv2d_forward)                                                                                   \
  X(conv2d_backward_data)                                                                             \
  X(conv2d_backward_filter)                                                                           \
  X(conv2d_backward_bias)                                                                             \
  X(cross_entropy_forward)                                                                            \
  X(cross_entropy_backward)                                                                           \
  X(check_labels)                                                                                     \
  X(check_label_flag)                                                                                 \
  X(dropout_forward)                                                                                  \
  X(unary_forward)                                                                                    \
  X(unary_backward)                                                                                   \
  X(binary_forward)                                                                                   \
  X(fill)                                                                                             \
  X(cast)                                                                                             \
  X(index_select_check)                                                                               \
  X(index_select_forward)                                                                             \
  X(index_select_backward)                                                                           \
  X(label_rank_update)                                                                            \
  X(matmul_forward)                                                                                   \
  X(mse_loss_forward)                                                                                 \
  X(mse_loss_backward)                                                                                \
  X(one_hot_forward)                                                                                  \
  X(optim_step)                                                                                       \
  X(pool2d_forward)                                                                                   \
  X(pool2d_backward)                                                                                  \
  X(random_fill)                                                                                      \
  X(reduce_sum)                                                                                       \
  X(reduce_sum_backward)                                                                              \
  X(reduce_max)                                                                                       \
  X(reduce_max_backward)                                                                              \
  X(softmax_forward)                                                                                  \
  X(softmax_backward)

namespace cudanet::cpu {

#define CUDANET_CPU_KERNEL_ID(name) name,
enum class KernelId : size_t { CUDANET_CPU_KERNELS(CUDANET_CPU_KERNEL_ID) count };
#undef CUDANET_CPU_KERNEL_ID
constexpr size_t kKernelCount = static_cast<size_t>(KernelId::count);

// A table entry: the kernel's pointer stored as one common type and cast back
// to the kernel's own type before the call (a round trip the standard allows).
using KernelFn = void (*)();

// The table of `level`, or null when this build or this processor lacks it.
const KernelFn* kernels_for(CpuCapability level);
// The table of active_cpu_capability(), looked up at the first call. Throws
// what active_cpu_capability() throws.
const KernelFn* active_kernels();

template <class Signature, KernelId Id>
struct Kernel;

// What `cpu::name` is outside the levels' builds: a constant with the kernel's
// parameter types (so arguments convert as in a plain call) that forwards to
// the active level.
template <class R, KernelId Id, class... A>
struct Kernel<R(A...), Id> {
  using Fn = R (*)(A...);
  // This kernel in a given table: the tests run it at every level.
  static Fn in(const KernelFn* table) { return reinterpret_cast<Fn>(table[static_cast<size_t>(Id)]); }
  static R call(A... a) { return in(active_kernels())(static_cast<A&&>(a)...); }
  R operator()(A... a) const { return call(static_cast<A&&>(a)...); }
  // Code that keeps a kernel as a function pointer (apps/bench) gets `call`:
  // a constant, so the level is still chosen at the first call.
  constexpr operator Fn() const { return &call; }
};

}  // namespace cudanet::cpu

#ifdef CUDANET_CPU_VARIANT
// One level's build: declares the level's function; the using-declaration
// makes `cpu::name` that function inside the level's own code.
#define CUDANET_CPU_KERNEL(name, signature)                        \
  namespace CUDANET_CPU_VARIANT {                                  \
  std::type_identity_t<signature> name;                            \
  }                                                                \
  using CUDANET_CPU_VARIANT::name
#else
#define CUDANET_CPU_KERNEL(name, signature) inline constexpr Kernel<signature, KernelId::name> name {}
#endif
