#pragma once
#include "core/tensor.h"
#include "kernels/common/index_select.h"

namespace cudanet::cuda {
// y[i] = x[index[i]], any dtype. An index out of range cannot be reported
// without a host sync: its row of y is written as zeros.
void index_select_forward(const Tensor& y, const Tensor& x, const Tensor& index, const IndexSelectParams& p);
// dx = 0, then dx[index[i]] += dy[i] by atomics (an index may repeat); floating dtypes.
void index_select_backward(const Tensor& dx, const Tensor& dy, const Tensor& index, const IndexSelectParams& p);
}  // namespace cudanet::cuda
