#pragma once
// Launcher order: outputs, inputs, params.
#include "core/tensor.h"
#include "kernels/common/pool2d.h"

namespace cudanet::cuda {
// Hand-written kernels (pool2d.cu), the same contract as cpu::pool2d_*:
// y (n, c, oh, ow); argmax (n, c, oh, ow) int32 index in the input plane (max
// only; undefined for average); x (n, c, h, w)
void pool2d_forward(const Tensor& y, const Tensor& argmax, const Tensor& x, const Pool2dDims& d);
// dx (n, c, h, w): every element written, no atomics (gather over the windows
// that cover each input pixel, so overlapping windows need no scheme of their own)
void pool2d_backward(const Tensor& dx, const Tensor& dy, const Tensor& argmax, const Pool2dDims& d);

// cuDNN (cudnn_pool2d.cpp): deterministic max, average counting padded zeros.
// Its backward needs the forward's input x and output y instead of an argmax.
void cudnn_pool2d_forward(const Tensor& y, const Tensor& x, const Pool2dDims& d);
void cudnn_pool2d_backward(const Tensor& dx, const Tensor& dy, const Tensor& x, const Tensor& y,
                           const Pool2dDims& d);
}  // namespace cudanet::cuda
