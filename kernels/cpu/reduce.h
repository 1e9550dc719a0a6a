#pragma once
// Launcher order: outputs, inputs, params.
#include "core/tensor.h"
#include "kernels/common/reduce.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// y (outer, inner) = scale * sum over len of x (outer, len, inner)
CUDANET_CPU_KERNEL(reduce_sum, void(const Tensor& y, const Tensor& x, const ReduceParams& p));
// dx (outer, len, inner) = scale * dy (outer, inner), broadcast along len
CUDANET_CPU_KERNEL(reduce_sum_backward, void(const Tensor& dx, const Tensor& dy, const ReduceParams& p));
// y = max over len, idx (int32) = its first position
CUDANET_CPU_KERNEL(reduce_max, void(const Tensor& y, const Tensor& idx, const Tensor& x, const ReduceParams& p));
// dx = dy at the argmax position, 0 elsewhere
CUDANET_CPU_KERNEL(reduce_max_backward,
                   void(const Tensor& dx, const Tensor& dy, const Tensor& idx, const ReduceParams& p));
}  // namespace cudanet::cpu
