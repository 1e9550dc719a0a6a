#pragma once
#include "core/tensor.h"
#include "kernels/common/pool2d.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// y (n, c, oh, ow); argmax (n, c, oh, ow) int32, the max's index in its input
// plane (max pooling only; undefined for average pooling); x (n, c, h, w)
CUDANET_CPU_KERNEL(pool2d_forward, void(const Tensor& y, const Tensor& argmax, const Tensor& x, const Pool2dDims& d));
// dx (n, c, h, w) from dy (n, c, oh, ow); argmax as written by the forward
CUDANET_CPU_KERNEL(pool2d_backward,
                   void(const Tensor& dx, const Tensor& dy, const Tensor& argmax, const Pool2dDims& d));
}  // namespace cudanet::cpu
