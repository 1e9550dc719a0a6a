#pragma once
// Launcher order: outputs, inputs, params.
#include "core/tensor.h"
#include "kernels/common/mse_loss.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// sq = (pred - target)^2, element-wise; the entry point takes its mean.
CUDANET_CPU_KERNEL(mse_loss_forward,
                   void(const Tensor& sq, const Tensor& pred, const Tensor& target, const MseLossParams& p));
// dpred = 2 (pred - target) dloss / n, dtarget = -dpred; dloss is a scalar
// tensor; an undefined output is skipped.
CUDANET_CPU_KERNEL(mse_loss_backward, void(const Tensor& dpred, const Tensor& dtarget, const Tensor& pred,
                                           const Tensor& target, const Tensor& dloss, const MseLossParams& p));
}  // namespace cudanet::cpu
