// Softmax and log-softmax through cuDNN: (rows, cols) viewed as (N, C, 1, 1)
// with MODE_INSTANCE, i.e. over C for each N.
#include <limits>

#include "core/cuda/check.h"
#include "kernels/cuda/cudnn_desc.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/softmax.cuh"

namespace cudanet::cuda {

namespace {

// (rows, cols) as (rows, cols, 1, 1).
void describe_rows(const TensorDesc& desc, const Tensor& t, const SoftmaxParams& p) {
  CUDANET_CHECK(p.rows <= std::numeric_limits<int>::max() && p.cols <= std::numeric_limits<int>::max(),
                "softmax (cudnn): tensor ", t.describe(), " exceeds cuDNN's int dimensions; use algo native");
  CUDANET_CUDNN_CHECK(cudnnSetTensor4dDescriptor(desc, CUDNN_TENSOR_NCHW, cudnn_data_type(t.dtype(), "softmax (cudnn)"),
                                                 static_cast<int>(p.rows), static_cast<int>(p.cols), 1, 1));
}

void check_dtype_supported(const Tensor& t) {
  CUDANET_CHECK(t.dtype() == DType::f32 || t.dtype() == DType::f64, "softmax (cudnn): unsupported dtype of ",
                t.describe());
}

cudnnSoftmaxAlgorithm_t algorithm(const SoftmaxParams& p) {
  return p.log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE;
}

}  // namespace

void cudnn_softmax_forward(const Tensor& y, const Tensor& x, const SoftmaxParams& p) {
  check_dtype_supported(x);
  if (p.rows * p.cols == 0) return;
  Context& c = ctx_of(x);
  TensorDesc desc;
  describe_rows(desc, x, p);
  const CudnnScalars s(x.dtype());
  CUDANET_CUDNN_CHECK(cudnnSoftmaxForward(c.cudnn(), algorithm(p), CUDNN_SOFTMAX_MODE_INSTANCE, s.one(), desc,
                                          x.data_ptr(), s.zero(), desc, y.data_ptr()));
}

void cudnn_softmax_backward(const Tensor& dx, const Tensor& y, const Tensor& dy, const SoftmaxParams& p) {
  check_dtype_supported(y);
  if (p.rows * p.cols == 0) return;
  Context& c = ctx_of(y);
  TensorDesc desc;
  describe_rows(desc, y, p);
  const CudnnScalars s(y.dtype());
  CUDANET_CUDNN_CHECK(cudnnSoftmaxBackward(c.cudnn(), algorithm(p), CUDNN_SOFTMAX_MODE_INSTANCE, s.one(), desc,
                                           y.data_ptr(), desc, dy.data_ptr(), s.zero(), desc,
                                           dx.data_ptr()));
}

}  // namespace cudanet::cuda
