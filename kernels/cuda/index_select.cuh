#pragma once
#include "core/tensor.h"
#include "kernels/common/index_select.h"

namespace cudanet::cuda {
// Throws naming the first index outside [0, rows_in) and its position: one
// kernel and a host sync (kernels/cuda/range_check.cuh).
void index_select_check(const Tensor& index, const IndexSelectParams& p, const char* op);
// y[i] = x[index[i]], any dtype. An index left unchecked and out of range
// gives a zero row, never a read outside x.
void index_select_forward(const Tensor& y, const Tensor& x, const Tensor& index, const IndexSelectParams& p);
// dx = 0, then dx[index[i]] += dy[i] by atomics (an index may repeat); floating dtypes.
void index_select_backward(const Tensor& dx, const Tensor& dy, const Tensor& index, const IndexSelectParams& p);
}  // namespace cudanet::cuda
