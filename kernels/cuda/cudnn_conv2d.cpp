// cuDNN convolution through the legacy API. Descriptors are built once per
// shape; each pass's algorithm is measured once by cudnnFind*AlgorithmEx on the
// real buffers and cached with its workspace size and math type.
#include "kernels/cuda/cudnn_conv2d.h"

#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/algo.h"
#include "core/cuda/context.h"
#include "kernels/cuda/cudnn_desc.h"

namespace cudanet::cuda {

namespace {

// The most workspace cudnnFind may try an algorithm with: the context keeps its
// workspace at the largest size ever asked for, so this bounds what stays held.
constexpr size_t kWorkspaceCap = size_t{256} << 20;

// TF32 off must mean CUDNN_FMA_MATH, not CUDNN_DEFAULT_MATH: on Ampere and later
// the default math type still lets cuDNN run float32 convolutions on TF32
// tensor cores (10-bit mantissa inputs), which would silently break agreement
// with the CPU reference. FMA math restricts it to true float32 kernels.
bool fma_only(DType t) { return t == DType::f32 && !allow_tf32(); }

struct Pick {
  int algo = 0;  // the pass's cudnn*Algo_t
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
  size_t workspace = 0;
};

struct Plan {
  TensorDesc x, y, bias;
  FilterDesc w;
  ConvDesc conv;
  Pick fwd, data, filter;
  std::once_flag fwd_found, data_found, filter_found;  // a Find that throws leaves its flag unset

  Plan(const Conv2dDims& d, DType dt) {
    // The legacy descriptors hold int dimensions and cuDNN's kernels index
    // tensors of up to 2^31 elements; larger ones are refused here (Auto then
    // falls back to the native kernels) rather than passed on truncated.
    const int64_t in = d.n * d.c * d.h * d.w, out = d.n * d.o * d.oh * d.ow, filt = d.o * d.patch();
    CUDANET_CHECK(std::max({in, out, filt}) <= INT_MAX, "conv2d (cudnn): input of ", in, ", output of ", out,
                  " or filter of ", filt, " elements exceeds cuDNN's 32-bit tensor sizes (2^31 - 1); use algo native");
    const cudnnDataType_t t = cudnn_data_type(dt, "conv2d (cudnn)");
    auto i = [](int64_t v) { return static_cast<int>(v); };
    CUDANET_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, t, i(d.n), i(d.c), i(d.h), i(d.w)));
    CUDANET_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, t, i(d.n), i(d.o), i(d.oh), i(d.ow)));
    CUDANET_CUDNN_CHECK(cudnnSetTensor4dDescriptor(bias, CUDNN_TENSOR_NCHW, t, 1, i(d.o), 1, 1));
    CUDANET_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, t, CUDNN_TENSOR_NCHW, i(d.o), i(d.c), i(d.kh), i(d.kw)));
    CUDANET_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, i(d.pad_h), i(d.pad_w), i(d.stride_h), i(d.stride_w),
                                                        1, 1, CUDNN_CROSS_CORRELATION, t));
    CUDANET_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, fma_only(dt) ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH));
    int n, o, oh, ow;
    CUDANET_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(conv, x, w, &n, &o, &oh, &ow));
    CUDANET_CHECK(n == d.n && o == d.o && oh == d.oh && ow == d.ow, "cudnn conv2d: cuDNN's output (", n, ", ", o,
                  ", ", oh, ", ", ow, ") differs from conv2d's (", d.n, ", ", d.o, ", ", d.oh, ", ", d.ow, ")");
  }
};

std::mutex g_mutex;
std::map<std::string, std::unique_ptr<Plan>> g_plans;

// The plan of this shape on this device, dtype and math setting, built on first use.
Plan& plan_for(const Tensor& t, const Conv2dDims& d) {
  const std::string key =
      detail::cat(t.device().index, " ", dtype_name(t.dtype()), fma_only(t.dtype()) ? " fma " : " tf32 ", d.n, ",",
                  d.c, ",", d.h, ",", d.w, " ", d.o, ",", d.kh, ",", d.kw, " ", d.stride_h, ",", d.stride_w, " ",
                  d.pad_h, ",", d.pad_w);
  std::lock_guard<std::mutex> lock(g_mutex);
  auto& slot = g_plans[key];
  if (!slot) slot = std::make_unique<Plan>(d, t.dtype());
  return *slot;
}

// The fastest successful result that honours the TF32 setting (results come
// sorted by time).
template <class Perf>
Pick first_usable(const Perf* results, int count, DType dt, const char* pass) {
  for (int i = 0; i < count; ++i) {
    const Perf& r = results[i];
    if (r.status != CUDNN_STATUS_SUCCESS) continue;
    // Conversion to half precision is never wanted; TF32 only when allowed.
    if (r.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) continue;
    if (fma_only(dt) && r.mathType == CUDNN_TENSOR_OP_MATH) continue;
    return {static_cast<int>(r.algo), fma_only(dt) ? CUDNN_FMA_MATH : r.mathType, r.memory};
  }
  CUDANET_FAIL("cudnn conv2d ", pass, ": cuDNN found no usable algorithm (", count, " tried)");
}

// Workspace for the Find calls: the largest any algorithm asks for, capped.
template <class SizeOf>
size_t find_workspace(int algo_count, SizeOf size_of) {
  size_t most = 0;
  for (int a = 0; a < algo_count; ++a) {
    size_t bytes = 0;
    if (size_of(a, &bytes) == CUDNN_STATUS_SUCCESS && bytes <= kWorkspaceCap) most = std::max(most, bytes);
  }
  return most;
}

void set_math(cudnnConvolutionDescriptor_t conv, const Pick& p) {
  CUDANET_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, p.math));
}

}  // namespace

void cudnn_conv2d_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dDims& d) {
  Context& c = context(x.device().index);
  cudnnHandle_t h = c.cudnn();
  Plan& p = plan_for(x, d);
  std::call_once(p.fwd_found, [&] {
    const size_t bytes = find_workspace(CUDNN_CONVOLUTION_FWD_ALGO_COUNT, [&](int a, size_t* s) {
      return cudnnGetConvolutionForwardWorkspaceSize(h, p.x, p.w, p.conv, p.y,
                                                     static_cast<cudnnConvolutionFwdAlgo_t>(a), s);
    });
    cudnnConvolutionFwdAlgoPerf_t results[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    CUDANET_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(h, p.x, x.data_ptr(), p.w, w.data_ptr(), p.conv, p.y,
                                                               y.data_ptr(), CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count,
                                                               results, c.workspace(bytes), bytes));
    p.fwd = first_usable(results, count, x.dtype(), "forward");
  });
  const CudnnScalars s(x.dtype());
  set_math(p.conv, p.fwd);
  CUDANET_CUDNN_CHECK(cudnnConvolutionForward(h, s.one(), p.x, x.data_ptr(), p.w, w.data_ptr(), p.conv,
                                              static_cast<cudnnConvolutionFwdAlgo_t>(p.fwd.algo),
                                              c.workspace(p.fwd.workspace), p.fwd.workspace, s.zero(), p.y,
                                              y.data_ptr()));
  if (b.defined()) CUDANET_CUDNN_CHECK(cudnnAddTensor(h, s.one(), p.bias, b.data_ptr(), s.one(), p.y, y.data_ptr()));
}

void cudnn_conv2d_backward_data(const Tensor& dx, const Tensor& dy, const Tensor& w, const Conv2dDims& d) {
  Context& c = context(dy.device().index);
  cudnnHandle_t h = c.cudnn();
  Plan& p = plan_for(dy, d);
  std::call_once(p.data_found, [&] {
    const size_t bytes = find_workspace(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, [&](int a, size_t* s) {
      return cudnnGetConvolutionBackwardDataWorkspaceSize(h, p.w, p.y, p.conv, p.x,
                                                          static_cast<cudnnConvolutionBwdDataAlgo_t>(a), s);
    });
    cudnnConvolutionBwdDataAlgoPerf_t results[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int count = 0;
    CUDANET_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
        h, p.w, w.data_ptr(), p.y, dy.data_ptr(), p.conv, p.x, dx.data_ptr(), CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
        &count, results, c.workspace(bytes), bytes));
    p.data = first_usable(results, count, dy.dtype(), "backward data");
  });
  const CudnnScalars s(dy.dtype());
  set_math(p.conv, p.data);
  CUDANET_CUDNN_CHECK(cudnnConvolutionBackwardData(h, s.one(), p.w, w.data_ptr(), p.y, dy.data_ptr(), p.conv,
                                                   static_cast<cudnnConvolutionBwdDataAlgo_t>(p.data.algo),
                                                   c.workspace(p.data.workspace), p.data.workspace, s.zero(), p.x,
                                                   dx.data_ptr()));
}

void cudnn_conv2d_backward_filter(const Tensor& dw, const Tensor& dy, const Tensor& x, const Conv2dDims& d) {
  Context& c = context(dy.device().index);
  cudnnHandle_t h = c.cudnn();
  Plan& p = plan_for(dy, d);
  std::call_once(p.filter_found, [&] {
    const size_t bytes = find_workspace(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, [&](int a, size_t* s) {
      return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, p.x, p.y, p.conv, p.w,
                                                            static_cast<cudnnConvolutionBwdFilterAlgo_t>(a), s);
    });
    cudnnConvolutionBwdFilterAlgoPerf_t results[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int count = 0;
    CUDANET_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
        h, p.x, x.data_ptr(), p.y, dy.data_ptr(), p.conv, p.w, dw.data_ptr(), CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
        &count, results, c.workspace(bytes), bytes));
    p.filter = first_usable(results, count, dy.dtype(), "backward filter");
  });
  const CudnnScalars s(dy.dtype());
  set_math(p.conv, p.filter);
  CUDANET_CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, s.one(), p.x, x.data_ptr(), p.y, dy.data_ptr(), p.conv,
                                                     static_cast<cudnnConvolutionBwdFilterAlgo_t>(p.filter.algo),
                                                     c.workspace(p.filter.workspace), p.filter.workspace, s.zero(),
                                                     p.w, dw.data_ptr()));
}

void cudnn_conv2d_backward_bias(const Tensor& db, const Tensor& dy, const Conv2dDims& d) {
  Context& c = context(dy.device().index);
  Plan& p = plan_for(dy, d);
  const CudnnScalars s(dy.dtype());
  CUDANET_CUDNN_CHECK(
      cudnnConvolutionBackwardBias(c.cudnn(), s.one(), p.y, dy.data_ptr(), s.zero(), p.bias, db.data_ptr()));
}

}  // namespace cudanet::cuda
