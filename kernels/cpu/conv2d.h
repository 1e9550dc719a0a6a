#pragma once
#include "core/tensor.h"
#include "kernels/common/conv2d.h"
#include "kernels/cpu/dispatch.h"

namespace cudanet::cpu {
// y (n, o, oh, ow) = conv(x (n, c, h, w), w (o, c, kh, kw)) + b (o); b may be undefined.
CUDANET_CPU_KERNEL(conv2d_forward,
                   void(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dDims& d));
// dx (n, c, h, w) from dy (n, o, oh, ow) and w.
CUDANET_CPU_KERNEL(conv2d_backward_data,
                   void(const Tensor& dx, const Tensor& dy, const Tensor& w, const Conv2dDims& d));
// dw (o, c, kh, kw) from dy and x.
CUDANET_CPU_KERNEL(conv2d_backward_filter,
                   void(const Tensor& dw, const Tensor& dy, const Tensor& x, const Conv2dDims& d));
// db (o) = sum of dy over n, oh, ow.
CUDANET_CPU_KERNEL(conv2d_backward_bias, void(const Tensor& db, const Tensor& dy, const Conv2dDims& d));
}  // namespace cudanet::cpu
