#pragma once
// Launcher order: outputs, inputs, params.
#include "core/tensor.h"
#include "kernels/common/mse_loss.h"

namespace cudanet::cpu {
// sq = (pred - target)^2, element-wise; the entry point takes its mean.
void mse_loss_forward(const Tensor& sq, const Tensor& pred, const Tensor& target, const MseLossParams& p);
// dpred = 2 (pred - target) dloss / n, dtarget = -dpred; dloss is a scalar
// tensor; an undefined output is skipped.
void mse_loss_backward(const Tensor& dpred, const Tensor& dtarget, const Tensor& pred, const Tensor& target,
                       const Tensor& dloss, const MseLossParams& p);
}  // namespace cudanet::cpu
