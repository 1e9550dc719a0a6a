#pragma once
// Launcher order: outputs, inputs, params.
#include "core/tensor.h"
#include "kernels/common/reduce.h"

namespace cudanet::cpu {
// y (outer, inner) = scale * sum over len of x (outer, len, inner)
void reduce_sum(const Tensor& y, const Tensor& x, const ReduceParams& p);
// dx (outer, len, inner) = scale * dy (outer, inner), broadcast along len
void reduce_sum_backward(const Tensor& dx, const Tensor& dy, const ReduceParams& p);
// y = max over len, idx (int32) = its first position
void reduce_max(const Tensor& y, const Tensor& idx, const Tensor& x, const ReduceParams& p);
// dx = dy at the argmax position, 0 elsewhere
void reduce_max_backward(const Tensor& dx, const Tensor& dy, const Tensor& idx, const ReduceParams& p);
}  // namespace cudanet::cpu
