#pragma once
// Launcher order: outputs, inputs, params.
#include "core/tensor.h"
#include "kernels/common/one_hot.h"

namespace cudanet::cuda {
// out (rows, classes) = 1 at (r, labels[r]), 0 elsewhere; out is float32 or
// float64. A label outside [0, classes) makes its row NaN and raises the
// device's label flag (label_flag.cuh; no host sync).
void one_hot_forward(const Tensor& out, const Tensor& labels, const OneHotParams& p);
}  // namespace cudanet::cuda
