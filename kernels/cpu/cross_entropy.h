#pragma once
// Launcher order: outputs, inputs, params.
#include "core/device.h"
#include "core/tensor.h"
#include "kernels/common/cross_entropy.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// loss (rows) = logsumexp(x[r]) - x[r, label[r]], or with label smoothing ε
// logsumexp(x[r]) - (1 - ε) x[r, label[r]] - ε mean(x[r]); stats (rows, 2) = the
// row's max and sum of exp(x - max), for backward. Throws on a label outside [0, cols).
CUDANET_CPU_KERNEL(cross_entropy_forward, void(const Tensor& loss, const Tensor& stats, const Tensor& logits,
                                               const Tensor& labels, const CrossEntropyParams& p));
// dlogits (rows, cols) = (softmax(x) - target) * dloss / rows, target = (1 - ε)
// onehot(label) + ε / cols; dloss is a scalar tensor.
CUDANET_CPU_KERNEL(cross_entropy_backward, void(const Tensor& dlogits, const Tensor& logits, const Tensor& labels,
                                                const Tensor& stats, const Tensor& dloss, const CrossEntropyParams& p));
// Throws naming `op` and the first row whose label lies outside [0, num_classes).
CUDANET_CPU_KERNEL(check_labels, void(const Tensor& labels, int64_t num_classes, const char* op));
// The CPU forward throws instead of flagging: nothing to report.
CUDANET_CPU_KERNEL(check_label_flag, void(Device device));
}  // namespace cudanet::cpu
