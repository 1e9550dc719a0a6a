// batch_norm on cuDNN (CUDNN_BATCHNORM_SPATIAL): x (n, C, inner) is described
// as (n, C, inner, 1), so (N, C) input gets per-channel statistics over N.
// Descriptors are built once per shape and reused.
#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/batch_norm.cuh"
#include "kernels/cuda/cudnn_desc.h"
#include "kernels/cuda/launch.cuh"

namespace cudanet::cuda {

namespace {

constexpr cudnnBatchNormMode_t kMode = CUDNN_BATCHNORM_SPATIAL;

struct BnDescs {
  TensorDesc x;   // (n, C, inner, 1): x, y, dx, dy
  TensorDesc bn;  // (1, C, 1, 1): gamma, beta, means, variances

  BnDescs(const BatchNormDims& d, cudnnDataType_t t) {
    CUDANET_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, t, static_cast<int>(d.n),
                                                   static_cast<int>(d.channels), static_cast<int>(d.inner), 1));
    CUDANET_CUDNN_CHECK(cudnnDeriveBNTensorDescriptor(bn, x, kMode));
  }
};

const BnDescs& descs_for(const BatchNormDims& d, DType dtype) {
  CUDANET_CHECK(d.n * d.channels * d.inner <= INT_MAX, "batch_norm (cudnn): input of ",
                d.n * d.channels * d.inner, " elements exceeds cuDNN's 32-bit tensor sizes");
  const cudnnDataType_t t = cudnn_data_type(dtype, "batch_norm (cudnn)");
  using Key = std::tuple<DType, int64_t, int64_t, int64_t>;
  static std::mutex mutex;
  static std::map<Key, std::unique_ptr<BnDescs>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[Key{dtype, d.n, d.channels, d.inner}];
  if (!slot) slot = std::make_unique<BnDescs>(d, t);
  return *slot;
}

}  // namespace

void cudnn_batch_norm_forward_training(const Tensor& y, const Tensor& save_mean, const Tensor& save_invstd,
                                       const Tensor& running_mean, const Tensor& running_var, const Tensor& x,
                                       const Tensor& gamma, const Tensor& beta, const BatchNormDims& d) {
  const BnDescs& desc = descs_for(d, x.dtype());
  Context& c = ctx_of(x);
  dispatch_floating(x.dtype(), "batch_norm (cudnn)", [&](auto tag) {
    using T = decltype(tag);  // cuDNN takes alpha and beta in the data's precision
    const T one = 1, zero = 0;
    CUDANET_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
        c.cudnn(), kMode, &one, &zero, desc.x, x.data_ptr(), desc.x, y.data_ptr(), desc.bn, gamma.data_ptr(),
        beta.data_ptr(), d.momentum, running_mean.data_ptr(), running_var.data_ptr(), d.eps, save_mean.data_ptr(),
        save_invstd.data_ptr()));
  });
}

void cudnn_batch_norm_forward_inference(const Tensor& y, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                        const Tensor& running_mean, const Tensor& running_var,
                                        const BatchNormDims& d) {
  const BnDescs& desc = descs_for(d, x.dtype());
  Context& c = ctx_of(x);
  dispatch_floating(x.dtype(), "batch_norm (cudnn)", [&](auto tag) {
    using T = decltype(tag);
    const T one = 1, zero = 0;
    CUDANET_CUDNN_CHECK(cudnnBatchNormalizationForwardInference(
        c.cudnn(), kMode, &one, &zero, desc.x, x.data_ptr(), desc.x, y.data_ptr(), desc.bn, gamma.data_ptr(),
        beta.data_ptr(), running_mean.data_ptr(), running_var.data_ptr(), d.eps));
  });
}

void cudnn_batch_norm_backward(const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta, const Tensor& dy,
                               const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& invstd,
                               const BatchNormDims& d) {
  CUDANET_CHECK(d.training, "batch_norm_backward (cudnn): only the training-mode backward exists in cuDNN");
  const BnDescs& desc = descs_for(d, dy.dtype());
  Context& c = ctx_of(dy);
  dispatch_floating(dy.dtype(), "batch_norm_backward (cudnn)", [&](auto tag) {
    using T = decltype(tag);
    const T one = 1, zero = 0;
    CUDANET_CUDNN_CHECK(cudnnBatchNormalizationBackward(
        c.cudnn(), kMode, &one, &zero, &one, &zero, desc.x, x.data_ptr(), desc.x, dy.data_ptr(), desc.x,
        dx.data_ptr(), desc.bn, gamma.data_ptr(), dgamma.data_ptr(), dbeta.data_ptr(), d.eps, mean.data_ptr(),
        invstd.data_ptr()));
  });
}

}  // namespace cudanet::cuda
