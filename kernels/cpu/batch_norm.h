#pragma once
// Launcher order: outputs (running buffers are updated in place), inputs, params.
// x, y, dx, dy (n, C, inner); every other tensor (C).
#include "core/tensor.h"
#include "kernels/common/batch_norm.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// Batch statistics: save_mean, save_invstd = 1 / sqrt(biased var + eps); the
// running variance is updated with the unbiased variance, as in PyTorch.
CUDANET_CPU_KERNEL(batch_norm_forward_training,
                   void(const Tensor& y, const Tensor& save_mean, const Tensor& save_invstd,
                        const Tensor& running_mean, const Tensor& running_var, const Tensor& x, const Tensor& gamma,
                        const Tensor& beta, const BatchNormDims& d));
CUDANET_CPU_KERNEL(batch_norm_forward_inference,
                   void(const Tensor& y, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                        const Tensor& running_mean, const Tensor& running_var, const BatchNormDims& d));
// mean, invstd: the statistics the forward normalised with (batch or running).
CUDANET_CPU_KERNEL(batch_norm_backward,
                   void(const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta, const Tensor& dy,
                        const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& invstd,
                        const BatchNormDims& d));
}  // namespace cudanet::cpu
