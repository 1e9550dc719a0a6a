// Compiled once per level, like the kernels: the level's table, in
// CUDANET_CPU_KERNELS order. The one symbol of the level's object that stays
// global (cmake/cpu_levels.cmake); dispatch.cpp looks it up.
#include "kernels/cpu/batch_norm.h"
#include "kernels/cpu/bias.h"
#include "kernels/cpu/clip_grad_norm.h"
#include "kernels/cpu/confusion.h"
#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/cross_entropy.h"
#include "kernels/cpu/dispatch.h"
#include "kernels/cpu/dropout.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/index_select.h"
#include "kernels/cpu/label_rank.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/mse_loss.h"
#include "kernels/cpu/one_hot.h"
#include "kernels/cpu/optim_step.h"
#include "kernels/cpu/pool2d.h"
#include "kernels/cpu/random.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/softmax.h"

#define CUDANET_CPU_CAT2(a, b) a##b
#define CUDANET_CPU_CAT(a, b) CUDANET_CPU_CAT2(a, b)
#define CUDANET_CPU_ENTRY(name) reinterpret_cast<cudanet::cpu::KernelFn>(&cudanet::cpu::CUDANET_CPU_VARIANT::name),

// cudanet_cpu_kernels_<level>
extern "C" __attribute__((visibility("default"))) const cudanet::cpu::KernelFn CUDANET_CPU_CAT(
    cudanet_cpu_kernels_, CUDANET_CPU_VARIANT)[cudanet::cpu::kKernelCount] = {CUDANET_CPU_KERNELS(CUDANET_CPU_ENTRY)};
