#pragma once
// Hand-written kernels (batch_norm.cu) with the contract of cpu::batch_norm_*,
// and cuDNN (cudnn_batch_norm.cpp, CUDNN_BATCHNORM_SPATIAL) with the same one.
// Launcher order: outputs (running buffers are updated in place), inputs, params.
// x, y, dx, dy (n, C, inner); every other tensor (C).
#include "core/tensor.h"
#include "kernels/common/batch_norm.h"

namespace cudanet::cuda {
// Batch statistics: save_mean, save_invstd = 1 / sqrt(biased var + eps); the
// running variance is updated with the unbiased variance, as in PyTorch.
void batch_norm_forward_training(const Tensor& y, const Tensor& save_mean, const Tensor& save_invstd,
                                 const Tensor& running_mean, const Tensor& running_var, const Tensor& x,
                                 const Tensor& gamma, const Tensor& beta, const BatchNormDims& d);
void batch_norm_forward_inference(const Tensor& y, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                  const Tensor& running_mean, const Tensor& running_var, const BatchNormDims& d);
// mean, invstd: the statistics the forward normalised with (batch or running).
void batch_norm_backward(const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta, const Tensor& dy,
                         const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& invstd,
                         const BatchNormDims& d);

void cudnn_batch_norm_forward_training(const Tensor& y, const Tensor& save_mean, const Tensor& save_invstd,
                                       const Tensor& running_mean, const Tensor& running_var, const Tensor& x,
                                       const Tensor& gamma, const Tensor& beta, const BatchNormDims& d);
void cudnn_batch_norm_forward_inference(const Tensor& y, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                        const Tensor& running_mean, const Tensor& running_var,
                                        const BatchNormDims& d);
// Training mode only: cuDNN has no backward through running statistics.
void cudnn_batch_norm_backward(const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta, const Tensor& dy,
                               const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& invstd,
                               const BatchNormDims& d);
}  // namespace cudanet::cuda
