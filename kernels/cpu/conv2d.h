#pragma once
#include "core/tensor.h"
#include "kernels/common/conv2d.h"

namespace cudanet::cpu {
// y (n, o, oh, ow) = conv(x (n, c, h, w), w (o, c, kh, kw)) + b (o); b may be undefined.
void conv2d_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dDims& d);
// dx (n, c, h, w) from dy (n, o, oh, ow) and w.
void conv2d_backward_data(const Tensor& dx, const Tensor& dy, const Tensor& w, const Conv2dDims& d);
// dw (o, c, kh, kw) from dy and x.
void conv2d_backward_filter(const Tensor& dw, const Tensor& dy, const Tensor& x, const Conv2dDims& d);
// db (o) = sum of dy over n, oh, ow.
void conv2d_backward_bias(const Tensor& db, const Tensor& dy, const Conv2dDims& d);
}  // namespace cudanet::cpu
