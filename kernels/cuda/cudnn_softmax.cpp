// Softmax and log-softmax through cuDNN: (rows, cols) viewed as (N, C, 1, 1)
// with MODE_INSTANCE, i.e. over C for each N.
#include <limits>

#include "core/cuda/check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/softmax.cuh"

namespace cudanet::cuda {

namespace {

// Owns a descriptor so a throwing check cannot leak it.
class RowsDesc {
 public:
  RowsDesc(const Tensor& t, const SoftmaxParams& p) {
    CUDANET_CHECK(p.rows <= std::numeric_limits<int>::max() && p.cols <= std::numeric_limits<int>::max(),
                  "softmax (cudnn): tensor ", t.describe(), " exceeds cuDNN's int dimensions; use algo native");
    CUDANET_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc_));
    const cudnnDataType_t type = t.dtype() == DType::f64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    const cudnnStatus_t s = cudnnSetTensor4dDescriptor(desc_, CUDNN_TENSOR_NCHW, type, static_cast<int>(p.rows),
                                                       static_cast<int>(p.cols), 1, 1);
    if (s != CUDNN_STATUS_SUCCESS) cudnnDestroyTensorDescriptor(desc_);
    CUDANET_CUDNN_CHECK(s);
  }
  ~RowsDesc() { cudnnDestroyTensorDescriptor(desc_); }
  RowsDesc(const RowsDesc&) = delete;
  RowsDesc& operator=(const RowsDesc&) = delete;
  cudnnTensorDescriptor_t get() const { return desc_; }

 private:
  cudnnTensorDescriptor_t desc_ = nullptr;
};

// cuDNN reads alpha and beta as double for double data, float otherwise.
struct Scalars {
  explicit Scalars(DType t) : is_double(t == DType::f64) {}
  const void* one() const { return is_double ? static_cast<const void*>(&d1) : &f1; }
  const void* zero() const { return is_double ? static_cast<const void*>(&d0) : &f0; }
  bool is_double;
  float f1 = 1.f, f0 = 0.f;
  double d1 = 1.0, d0 = 0.0;
};

void check_dtype_supported(const Tensor& t) {
  CUDANET_CHECK(t.dtype() == DType::f32 || t.dtype() == DType::f64, "softmax (cudnn): unsupported dtype of ",
                t.describe());
}

cudnnSoftmaxAlgorithm_t algorithm(const SoftmaxParams& p) {
  return p.log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE;
}

}  // namespace

void softmax_forward_cudnn(const Tensor& y, const Tensor& x, const SoftmaxParams& p) {
  check_dtype_supported(x);
  if (p.rows * p.cols == 0) return;
  Context& c = ctx_of(x);
  const RowsDesc desc(x, p);
  const Scalars s(x.dtype());
  CUDANET_CUDNN_CHECK(cudnnSoftmaxForward(c.cudnn(), algorithm(p), CUDNN_SOFTMAX_MODE_INSTANCE, s.one(), desc.get(),
                                          x.data_ptr(), s.zero(), desc.get(), y.data_ptr()));
}

void softmax_backward_cudnn(const Tensor& dx, const Tensor& y, const Tensor& dy, const SoftmaxParams& p) {
  check_dtype_supported(y);
  if (p.rows * p.cols == 0) return;
  Context& c = ctx_of(y);
  const RowsDesc desc(y, p);
  const Scalars s(y.dtype());
  CUDANET_CUDNN_CHECK(cudnnSoftmaxBackward(c.cudnn(), algorithm(p), CUDNN_SOFTMAX_MODE_INSTANCE, s.one(), desc.get(),
                                           y.data_ptr(), desc.get(), dy.data_ptr(), s.zero(), desc.get(),
                                           dx.data_ptr()));
}

}  // namespace cudanet::cuda
