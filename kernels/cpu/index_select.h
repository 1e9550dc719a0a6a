#pragma once
#include "core/tensor.h"
#include "kernels/common/index_select.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// Throws naming the first index outside [0, rows_in) and its position.
CUDANET_CPU_KERNEL(index_select_check, void(const Tensor& index, const IndexSelectParams& p, const char* op));
// y[i] = x[index[i]], any dtype; the indices checked beforehand.
CUDANET_CPU_KERNEL(index_select_forward,
                   void(const Tensor& y, const Tensor& x, const Tensor& index, const IndexSelectParams& p));
// dx = 0, then dx[index[i]] += dy[i] (an index may repeat); floating dtypes.
CUDANET_CPU_KERNEL(index_select_backward,
                   void(const Tensor& dx, const Tensor& dy, const Tensor& index, const IndexSelectParams& p));
}  // namespace cudanet::cpu
