// pool2d on cuDNN: descriptors are built once per shape and reused.
#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/cudnn_desc.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/pool2d.cuh"

namespace cudanet::cuda {

namespace {

struct PoolDescs {
  TensorDesc x, y;  // (n, c, h, w), (n, c, oh, ow)
  PoolDesc pool;

  PoolDescs(const Pool2dDims& d, cudnnDataType_t t) {
    const int n = static_cast<int>(d.n), c = static_cast<int>(d.c);
    CUDANET_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, t, n, c, d.h, d.w));
    CUDANET_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, t, n, c, d.oh, d.ow));
    // Deterministic max keeps backward reproducible with overlapping windows;
    // NaN propagates as in the native kernels.
    const cudnnPoolingMode_t mode = d.mode == PoolMode::Max ? CUDNN_POOLING_MAX_DETERMINISTIC
                                                            : CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING;
    CUDANET_CUDNN_CHECK(
        cudnnSetPooling2dDescriptor(pool, mode, CUDNN_PROPAGATE_NAN, d.kh, d.kw, d.ph, d.pw, d.sh, d.sw));
    int on, oc, oh, ow;
    CUDANET_CUDNN_CHECK(cudnnGetPooling2dForwardOutputDim(pool, x, &on, &oc, &oh, &ow));
    CUDANET_CHECK(oh == d.oh && ow == d.ow, "pool2d (cudnn): cuDNN computes output ", oh, "x", ow,
                  " where cudanet expects ", d.oh, "x", d.ow);
  }
};

const PoolDescs& descs_for(const Pool2dDims& d, DType dtype) {
  CUDANET_CHECK(d.planes() * d.h * d.w <= INT_MAX, "pool2d (cudnn): input of ", d.planes() * d.h * d.w,
                " elements exceeds cuDNN's 32-bit tensor sizes");
  using Key = std::tuple<DType, PoolMode, int64_t, int64_t, int, int, int, int, int, int, int, int>;
  static std::mutex mutex;
  static std::map<Key, std::unique_ptr<PoolDescs>> cache;
  const Key key{dtype, d.mode, d.n, d.c, d.h, d.w, d.kh, d.kw, d.sh, d.sw, d.ph, d.pw};
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[key];
  if (!slot) slot = std::make_unique<PoolDescs>(d, cudnn_data_type(dtype, "pool2d (cudnn)"));
  return *slot;
}

}  // namespace

void cudnn_pool2d_forward(const Tensor& y, const Tensor& x, const Pool2dDims& d) {
  const PoolDescs& desc = descs_for(d, x.dtype());
  Context& c = ctx_of(x);
  dispatch_floating(x.dtype(), "pool2d (cudnn)", [&](auto tag) {
    using T = decltype(tag);  // cuDNN takes alpha and beta in the data's precision
    const T one = 1, zero = 0;
    CUDANET_CUDNN_CHECK(
        cudnnPoolingForward(c.cudnn(), desc.pool, &one, desc.x, x.data_ptr(), &zero, desc.y, y.data_ptr()));
  });
}

void cudnn_pool2d_backward(const Tensor& dx, const Tensor& dy, const Tensor& x, const Tensor& y,
                           const Pool2dDims& d) {
  const PoolDescs& desc = descs_for(d, dy.dtype());
  Context& c = ctx_of(dy);
  dispatch_floating(dy.dtype(), "pool2d_backward (cudnn)", [&](auto tag) {
    using T = decltype(tag);
    const T one = 1, zero = 0;
    CUDANET_CUDNN_CHECK(cudnnPoolingBackward(c.cudnn(), desc.pool, &one, desc.y, y.data_ptr(), desc.y,
                                             dy.data_ptr(), desc.x, x.data_ptr(), &zero, desc.x,
                                             dx.data_ptr()));
  });
}

}  // namespace cudanet::cuda
