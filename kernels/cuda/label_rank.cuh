#pragma once
// The rank of each sample's true class among its logits, counted into a
// histogram on the device (top-k accuracy for every k, no host round trip).
#include "core/tensor.h"

namespace cudanet::cuda {
// counts (K,) int32 [r] += the rows of logits (N, K) where r logits exceed the
// label's (kernels/common/label_rank.h); labels outside [0, K) are not counted.
void label_rank_update(const Tensor& counts, const Tensor& logits, const Tensor& labels);
}  // namespace cudanet::cuda
