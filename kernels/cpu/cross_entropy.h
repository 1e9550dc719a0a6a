#pragma once
// Launcher order: outputs, inputs, params.
#include "core/device.h"
#include "core/tensor.h"
#include "kernels/common/cross_entropy.h"

namespace cudanet::cpu {
// loss (rows) = logsumexp(x[r]) - x[r, label[r]]; stats (rows, 2) = the row's
// max and sum of exp(x - max), for backward. Throws on a label outside [0, cols).
void cross_entropy_forward(const Tensor& loss, const Tensor& stats, const Tensor& logits, const Tensor& labels,
                           const CrossEntropyParams& p);
// dlogits (rows, cols) = (softmax(x) - onehot(label)) * dloss / rows; dloss is a scalar tensor.
void cross_entropy_backward(const Tensor& dlogits, const Tensor& logits, const Tensor& labels, const Tensor& stats,
                            const Tensor& dloss, const CrossEntropyParams& p);
// Throws naming `op` and the first row whose label lies outside [0, num_classes).
void check_labels(const Tensor& labels, int64_t num_classes, const char* op);
// The CPU forward throws instead of flagging: nothing to report.
void check_label_flag(Device device);
}  // namespace cudanet::cpu
