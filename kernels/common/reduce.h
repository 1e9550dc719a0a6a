#pragma once
// A reduction over one axis, seen as (outer, len, inner): out[o, i] = op over
// a of x[o, a, i]. A reduction over everything is (1, numel, 1).
#include <cstdint>

#include "kernels/common/philox.h"  // CUDANET_HD

namespace cudanet {

struct ReduceParams {
  int64_t outer = 1, len = 1, inner = 1;
  double scale = 1.0;  // applied to sums (1/len for mean)
};

// Whether max takes v over the best so far: a NaN wins and the first NaN stays,
// so a NaN anywhere in the reduced axis is the maximum, as torch.max reports it.
template <class T>
CUDANET_HD bool max_takes(T v, T best) {
  return best == best && (v > best || v != v);
}

}  // namespace cudanet
