#pragma once
#include "core/tensor.h"
#include "kernels/common/index_select.h"

namespace cudanet::cpu {
// y[i] = x[index[i]], any dtype; throws naming the first index out of range.
void index_select_forward(const Tensor& y, const Tensor& x, const Tensor& index, const IndexSelectParams& p);
// dx = 0, then dx[index[i]] += dy[i] (an index may repeat); floating dtypes.
void index_select_backward(const Tensor& dx, const Tensor& dy, const Tensor& index, const IndexSelectParams& p);
}  // namespace cudanet::cpu
