#pragma once
// cuDNN convolution (legacy API): descriptors and the algorithm of each pass
// found once per shape and cached. Same arguments as the native kernels.
#include "core/tensor.h"
#include "kernels/common/conv2d.h"

namespace cudanet::cuda {
void cudnn_conv2d_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dDims& d);
void cudnn_conv2d_backward_data(const Tensor& dx, const Tensor& dy, const Tensor& w, const Conv2dDims& d);
void cudnn_conv2d_backward_filter(const Tensor& dw, const Tensor& dy, const Tensor& x, const Conv2dDims& d);
// db (o) = sum of dy (n, o, oh, ow) over n, oh, ow.
void cudnn_conv2d_backward_bias(const Tensor& db, const Tensor& dy, const Conv2dDims& d);
}  // namespace cudanet::cuda
