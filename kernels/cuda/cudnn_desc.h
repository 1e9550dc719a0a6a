#pragma once
// What the cuDNN wrappers (cudnn_*.cpp) share: descriptors that destroy
// themselves, so a check that throws halfway through building a set of them
// leaks nothing; the cuDNN type of a tensor's dtype; alpha and beta in the
// precision cuDNN reads them (double for double data, float otherwise).
#include "core/cuda/check.h"
#include "core/dtype.h"

namespace cudanet::cuda {

template <class Handle, cudnnStatus_t (*Create)(Handle*), cudnnStatus_t (*Destroy)(Handle)>
class CudnnDesc {
 public:
  CudnnDesc() { CUDANET_CUDNN_CHECK(Create(&h_)); }
  ~CudnnDesc() { Destroy(h_); }
  CudnnDesc(const CudnnDesc&) = delete;
  CudnnDesc& operator=(const CudnnDesc&) = delete;
  operator Handle() const { return h_; }  // passes straight into cuDNN calls

 private:
  Handle h_ = nullptr;
};

using TensorDesc = CudnnDesc<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDesc = CudnnDesc<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvDesc =
    CudnnDesc<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor, cudnnDestroyConvolutionDescriptor>;
using PoolDesc = CudnnDesc<cudnnPoolingDescriptor_t, cudnnCreatePoolingDescriptor, cudnnDestroyPoolingDescriptor>;

// `op` names the caller in the error, e.g. "pool2d (cudnn)".
inline cudnnDataType_t cudnn_data_type(DType t, const char* op) {
  switch (t) {
    case DType::f32: return CUDNN_DATA_FLOAT;
    case DType::f64: return CUDNN_DATA_DOUBLE;
    default: CUDANET_FAIL(op, ": unsupported dtype ", dtype_name(t), " (expected float32 or float64)");
  }
}

class CudnnScalars {
 public:
  explicit CudnnScalars(DType t) : dbl_(t == DType::f64) {}
  const void* zero() const { return dbl_ ? static_cast<const void*>(&d_[0]) : &f_[0]; }
  const void* one() const { return dbl_ ? static_cast<const void*>(&d_[1]) : &f_[1]; }

 private:
  float f_[2] = {0.f, 1.f};
  double d_[2] = {0.0, 1.0};
  bool dbl_;
};

}  // namespace cudanet::cuda
