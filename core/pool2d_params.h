#pragma once
// The parameters of the pool2d op (core/ops.h), in their own header because
// the kernels' pool2d dims (kernels/common/pool2d.h) carry the mode too and
// need nothing else of the op API.
#include "core/algo.h"

namespace cudanet {

enum class PoolMode : unsigned char { Max, Avg };

struct Pool2dParams {
  PoolMode mode = PoolMode::Max;
  int kernel_h = 2, kernel_w = 2;
  int stride_h = 2, stride_w = 2;
  int pad_h = 0, pad_w = 0;
  Algo algo = Algo::Default;
};

}  // namespace cudanet
