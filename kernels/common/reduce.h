#pragma once
// A reduction over one axis, seen as (outer, len, inner): out[o, i] = op over
// a of x[o, a, i]. A reduction over everything is (1, numel, 1).
#include <cstdint>

namespace cudanet {

struct ReduceParams {
  int64_t outer = 1, len = 1, inner = 1;
  double scale = 1.0;  // applied to sums (1/len for mean)
};

}  // namespace cudanet
