#pragma once
// Confusion-matrix accumulation for classification metrics, on the device that
// holds the logits (no host round trip per batch).
#include "core/tensor.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// cm (K, K) int32 [true class, predicted class] += counts of argmax(logits (N, K)) against labels (N);
// rows whose label is outside [0, K) are not counted.
CUDANET_CPU_KERNEL(confusion_update, void(const Tensor& cm, const Tensor& logits, const Tensor& labels));
}  // namespace cudanet::cpu
