#pragma once
// The rank of the true class's logit in one row, shared by the CPU and CUDA
// kernels so both count exactly alike.
#include <cstdint>

#include "kernels/common/philox.h"  // CUDANET_HD

namespace cudanet {

// How many of row[0..k) exceed row[label]: 0 when the label's logit is the
// largest (a tie with it does not count against it, as tf.math.in_top_k). A
// NaN label logit ranks last (k - 1): a NaN prediction is never correct.
template <class T>
CUDANET_HD int64_t label_rank(const T* row, int64_t k, int64_t label) {
  const T v = row[label];
  if (v != v) return k - 1;
  int64_t above = 0;
  for (int64_t j = 0; j < k; ++j) above += row[j] > v;
  return above;
}

}  // namespace cudanet
