// Entry point of pool2d (max and average) and its helpers.
#include <climits>
#include <string>

#include "core/autograd.h"
#include "core/cuda/autotune.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/pool2d.h"
#include "kernels/cuda/pool2d.cuh"

namespace cudanet {

namespace {

Pool2dDims pool_dims(const Tensor& x, const Pool2dParams& p) {
  check_floating(x, "pool2d");
  check_ndim(x, 4, "pool2d", "input (N, C, H, W)");
  CUDANET_CHECK(p.kernel_h >= 1 && p.kernel_w >= 1 && p.stride_h >= 1 && p.stride_w >= 1 && p.pad_h >= 0 &&
                    p.pad_w >= 0,
                "pool2d: kernel ", p.kernel_h, "x", p.kernel_w, ", stride ", p.stride_h, "x", p.stride_w,
                " and padding ", p.pad_h, "x", p.pad_w, " must be positive (padding may be 0)");
  // Larger padding would make windows of padding alone (PyTorch rejects them too).
  CUDANET_CHECK(p.pad_h <= p.kernel_h / 2 && p.pad_w <= p.kernel_w / 2, "pool2d: padding ", p.pad_h, "x",
                p.pad_w, " exceeds half the kernel ", p.kernel_h, "x", p.kernel_w);
  Pool2dDims d;
  d.mode = p.mode;
  d.n = x.size(0);
  d.c = x.size(1);
  const int64_t h = x.size(2), w = x.size(3);
  CUDANET_CHECK(h * w <= INT_MAX, "pool2d: input plane of ", x.describe(), " exceeds 2^31 pixels");
  CUDANET_CHECK(p.kernel_h <= h + 2 * p.pad_h && p.kernel_w <= w + 2 * p.pad_w, "pool2d: kernel ", p.kernel_h,
                "x", p.kernel_w, " is larger than input ", x.describe(), " padded by ", p.pad_h, "x", p.pad_w);
  d.h = static_cast<int>(h);
  d.w = static_cast<int>(w);
  d.kh = p.kernel_h, d.kw = p.kernel_w;
  d.sh = p.stride_h, d.sw = p.stride_w;
  d.ph = p.pad_h, d.pw = p.pad_w;
  d.oh = (d.h + 2 * d.ph - d.kh) / d.sh + 1;
  d.ow = (d.w + 2 * d.pw - d.kw) / d.sw + 1;
  return d;
}

// Native or Cudnn; CPU tensors ignore the choice.
void forward([[maybe_unused]] Algo algo, const Tensor& y, const Tensor& argmax, const Tensor& x,
             const Pool2dDims& d) {
#ifdef CUDANET_WITH_CUDA
  if (algo == Algo::Cudnn) return cuda::cudnn_pool2d_forward(y, x, d);
#endif
  CUDANET_DISPATCH(x.device(), pool2d_forward, y, argmax, x, d);
}

void backward([[maybe_unused]] Algo algo, const Tensor& dx, const Tensor& dy, const Tensor& argmax,
              [[maybe_unused]] const Tensor& x, [[maybe_unused]] const Tensor& y, const Pool2dDims& d) {
#ifdef CUDANET_WITH_CUDA
  if (algo == Algo::Cudnn) return cuda::cudnn_pool2d_backward(dx, dy, x, y, d);
#endif
  CUDANET_DISPATCH(dy.device(), pool2d_backward, dx, dy, argmax, d);
}

Shape out_shape(const Pool2dDims& d) { return {d.n, d.c, d.oh, d.ow}; }

// The implementation this call runs. Auto times both once per shape, on
// scratch outputs.
Algo pick_algo(Algo requested, const Tensor& x, [[maybe_unused]] const Pool2dDims& d) {
  if (!x.device().is_cuda()) return Algo::Native;
  const Algo a = resolve_algo(OpFamily::Pool, requested);
  if (a != Algo::Auto) return a;
#ifdef CUDANET_WITH_CUDA
  const std::string key = detail::cat("pool2d ", d.mode == PoolMode::Max ? "max " : "avg ", x.describe(), " k",
                                      d.kh, "x", d.kw, " s", d.sh, "x", d.sw, " p", d.ph, "x", d.pw);
  Tensor y, argmax;  // scratch, allocated in the first (untimed) warm-up run
  return cuda::autotune(x.device().index, key, {Algo::Native, Algo::Cudnn}, [&](Algo c) {
    if (!y.defined()) {
      y = Tensor::empty(out_shape(d), x.dtype(), x.device());
      if (d.mode == PoolMode::Max) argmax = Tensor::empty(out_shape(d), DType::i32, x.device());
    }
    forward(c, y, argmax, x, d);
  });
#else
  return Algo::Native;  // unreachable: without CUDA no tensor lives on a device
#endif
}

Pool2dParams square_params(PoolMode mode, int kernel, int stride, int pad, Algo algo) {
  Pool2dParams p;
  p.mode = mode;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride == -1 ? kernel : stride;
  p.pad_h = p.pad_w = pad;
  p.algo = algo;
  return p;
}

}  // namespace

Tensor pool2d(const Tensor& x, const Pool2dParams& p) {
  const Pool2dDims d = pool_dims(x, p);
  const Algo algo = pick_algo(p.algo, x, d);
  const bool is_max = d.mode == PoolMode::Max;
  Tensor y = Tensor::empty(out_shape(d), x.dtype(), x.device());
  // cuDNN finds the max again in backward from x and y; the others keep its index.
  Tensor argmax = is_max && algo != Algo::Cudnn ? Tensor::empty(out_shape(d), DType::i32, x.device()) : Tensor();
  forward(algo, y, argmax, x, d);
  if (any_requires_grad({&x})) {
    const bool keep_io = algo == Algo::Cudnn;
    record(y, is_max ? "max_pool2d" : "avg_pool2d", {x},
           [d, algo, argmax, xs = keep_io ? x.detach() : Tensor(), ys = keep_io ? y.detach() : Tensor(),
            in_shape = x.shape()](const Tensor& g) {
             Tensor dx = Tensor::empty(in_shape, g.dtype(), g.device());
             backward(algo, dx, g, argmax, xs, ys, d);
             return std::vector<Tensor>{dx};
           });
  }
  return y;
}

Tensor max_pool2d(const Tensor& x, int kernel, int stride, int pad, Algo algo) {
  return pool2d(x, square_params(PoolMode::Max, kernel, stride, pad, algo));
}

Tensor avg_pool2d(const Tensor& x, int kernel, int stride, int pad, Algo algo) {
  return pool2d(x, square_params(PoolMode::Avg, kernel, stride, pad, algo));
}

}  // namespace cudanet
