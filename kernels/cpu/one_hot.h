#pragma once
// Launcher order: outputs, inputs, params.
#include "core/tensor.h"
#include "kernels/common/one_hot.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// out (rows, classes) = 1 at (r, labels[r]), 0 elsewhere; out is float32 or
// float64. Throws on a label outside [0, classes), naming its row.
CUDANET_CPU_KERNEL(one_hot_forward, void(const Tensor& out, const Tensor& labels, const OneHotParams& p));
}  // namespace cudanet::cpu
