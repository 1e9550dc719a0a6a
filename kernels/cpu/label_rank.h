#pragma once
// The rank of each sample's true class among its logits, counted into a
// histogram on the device that holds them: top-k accuracy for every k without
// a host round trip per batch.
#include "core/tensor.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// counts (K,) int32 [r] += the rows of logits (N, K) where r logits exceed the
// label's (a NaN label logit ranks last, K - 1); rows whose label is outside
// [0, K) are not counted.
CUDANET_CPU_KERNEL(label_rank_update, void(const Tensor& counts, const Tensor& logits, const Tensor& labels));
}  // namespace cudanet::cpu
