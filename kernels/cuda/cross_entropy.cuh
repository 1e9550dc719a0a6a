#pragma once
// Launcher order: outputs, inputs, params.
#include "core/device.h"
#include "core/tensor.h"
#include "kernels/common/cross_entropy.h"

namespace cudanet::cuda {
// loss (rows) = logsumexp(x[r]) - x[r, label[r]], or with label smoothing ε
// logsumexp(x[r]) - (1 - ε) x[r, label[r]] - ε mean(x[r]); stats (rows, 2) = the
// row's max and sum of exp(x - max), for backward. A label outside [0, cols)
// makes the row's loss NaN and raises the device's label flag (no host sync).
void cross_entropy_forward(const Tensor& loss, const Tensor& stats, const Tensor& logits, const Tensor& labels,
                           const CrossEntropyParams& p);
// dlogits (rows, cols) = (softmax(x) - target) * dloss / rows, target = (1 - ε)
// onehot(label) + ε / cols, dloss a scalar read on the device; a row with a bad
// label gets NaN.
void cross_entropy_backward(const Tensor& dlogits, const Tensor& logits, const Tensor& labels, const Tensor& stats,
                            const Tensor& dloss, const CrossEntropyParams& p);
// Throws naming `op` and the first row whose label lies outside [0, num_classes). Synchronises.
void check_labels(const Tensor& labels, int64_t num_classes, const char* op);
// Throws (and clears the flag) if a cross_entropy or one_hot on `device` met a
// bad label (label_flag.cuh). Synchronises.
void check_label_flag(Device device);
}  // namespace cudanet::cuda
