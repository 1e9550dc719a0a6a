#pragma once
#include <cstdint>

#include "core/pool2d_params.h"  // PoolMode

namespace cudanet {

// x (n, c, h, w) -> y (n, c, oh, ow): windows of kh x kw at stride sh x sw over
// x padded by ph, pw zeros on each side. The entry point guarantees every
// window holds at least one real pixel and lies inside the padded input, so
// average pooling always divides by kh * kw (count_include_pad).
struct Pool2dDims {
  PoolMode mode = PoolMode::Max;
  int64_t n = 1, c = 1;
  int h = 1, w = 1, oh = 1, ow = 1;
  int kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;

  constexpr int64_t planes() const { return n * c; }
};

}  // namespace cudanet
