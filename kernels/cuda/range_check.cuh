#pragma once
// The first int32 value outside [0, upper) of a CUDA tensor: one kernel, one
// host sync. Shared by the label check of cross-entropy and the index check of
// index_select, which both name the offending value and its position.
#include <cstdint>

#include "core/tensor.h"

namespace cudanet::cuda {

struct OutOfRange {
  int64_t position = -1;  // -1: every value is in range
  int32_t value = 0;
};

OutOfRange first_out_of_range(const Tensor& values, int64_t upper);

}  // namespace cudanet::cuda
