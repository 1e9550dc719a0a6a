// Entry point of conv2d: shape checks, the choice of CUDA implementation per
// pass (hand-written, cuDNN, or measured once per shape), and the backward node.
#include <string>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/conv2d.h"
#include "kernels/cuda/conv2d.cuh"
#include "kernels/cuda/cudnn_conv2d.h"
#ifdef CUDANET_WITH_CUDA
#include "core/cuda/autotune.h"
#endif

namespace cudanet {

namespace {

Conv2dDims conv_dims(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  check_ndim(x, 4, "conv2d", "input (N, C, H, W)");
  check_ndim(w, 4, "conv2d", "weight (O, C, KH, KW)");
  check_floating(x, "conv2d");
  check_same_dtype(x, w, "conv2d");
  check_same_device(x, w, "conv2d");
  for (int i = 0; i < 4; ++i) {
    CUDANET_CHECK(x.size(i) > 0, "conv2d: input ", x.describe(), " is empty");
    CUDANET_CHECK(w.size(i) > 0, "conv2d: weight ", w.describe(), " is empty");
  }
  CUDANET_CHECK(x.size(1) == w.size(1), "conv2d: input ", x.describe(), " has ", x.size(1),
                " channels but weight ", w.describe(), " expects ", w.size(1));
  if (b.defined()) {
    check_same_dtype(x, b, "conv2d");
    check_same_device(x, b, "conv2d");
    CUDANET_CHECK(b.dim() == 1 && b.size(0) == w.size(0), "conv2d: bias ", b.describe(), " must be (",
                  w.size(0), ",) to match weight ", w.describe());
  }
  CUDANET_CHECK(p.stride_h > 0 && p.stride_w > 0, "conv2d: stride must be positive, got (", p.stride_h, ", ",
                p.stride_w, ")");
  CUDANET_CHECK(p.pad_h >= 0 && p.pad_w >= 0, "conv2d: padding must be non-negative, got (", p.pad_h, ", ",
                p.pad_w, ")");
  Conv2dDims d;
  d.n = x.size(0), d.c = x.size(1), d.h = x.size(2), d.w = x.size(3);
  d.o = w.size(0), d.kh = w.size(2), d.kw = w.size(3);
  d.stride_h = p.stride_h, d.stride_w = p.stride_w, d.pad_h = p.pad_h, d.pad_w = p.pad_w;
  CUDANET_CHECK(d.kh <= d.h + 2 * d.pad_h && d.kw <= d.w + 2 * d.pad_w, "conv2d: kernel ", d.kh, "x", d.kw,
                " of weight ", w.describe(), " is larger than input ", x.describe(), " padded by (", d.pad_h,
                ", ", d.pad_w, ")");
  d.oh = (d.h + 2 * d.pad_h - d.kh) / d.stride_h + 1;
  d.ow = (d.w + 2 * d.pad_w - d.kw) / d.stride_w + 1;
  return d;
}

#ifdef CUDANET_WITH_CUDA
// The full problem, so Auto measures each shape on its own.
std::string autotune_key(const char* pass, const Conv2dDims& d, DType dt) {
  return detail::cat("conv2d_", pass, " ", dtype_name(dt), " x(", d.n, ",", d.c, ",", d.h, ",", d.w, ") w(", d.o,
                     ",", d.c, ",", d.kh, ",", d.kw, ") stride(", d.stride_h, ",", d.stride_w, ") pad(", d.pad_h,
                     ",", d.pad_w, ")", allow_tf32() ? " tf32" : "");
}

// Runs one pass on CUDA with the requested implementation; Auto times both once
// per shape and keeps the faster.
template <class Native, class Vendor>
void run_cuda(const Tensor& t, Algo requested, const char* pass, const Conv2dDims& d, const Native& native,
              const Vendor& vendor) {
  Algo a = resolve_algo(OpFamily::Conv, requested);
  if (a == Algo::Auto) {
    a = cuda::autotune(t.device().index, autotune_key(pass, d, t.dtype()), {Algo::Native, Algo::Cudnn},
                       [&](Algo c) { c == Algo::Native ? native() : vendor(); });
  }
  a == Algo::Native ? native() : vendor();
}
#endif

// Each pass: the CPU backend or the hand-written CUDA kernels through the one
// dispatch line, and on CUDA the algorithm choice between those and cuDNN.
void forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dDims& d,
             [[maybe_unused]] Algo algo) {
  auto native = [&] { CUDANET_DISPATCH(x.device(), conv2d_forward, y, x, w, b, d); };
#ifdef CUDANET_WITH_CUDA
  if (x.device().is_cuda())
    return run_cuda(x, algo, "forward", d, native, [&] { cuda::cudnn_conv2d_forward(y, x, w, b, d); });
#endif
  native();
}

void backward_data(const Tensor& dx, const Tensor& dy, const Tensor& w, const Conv2dDims& d,
                   [[maybe_unused]] Algo algo) {
  auto native = [&] { CUDANET_DISPATCH(dy.device(), conv2d_backward_data, dx, dy, w, d); };
#ifdef CUDANET_WITH_CUDA
  if (dy.device().is_cuda())
    return run_cuda(dy, algo, "backward_data", d, native, [&] { cuda::cudnn_conv2d_backward_data(dx, dy, w, d); });
#endif
  native();
}

void backward_filter(const Tensor& dw, const Tensor& dy, const Tensor& x, const Conv2dDims& d,
                     [[maybe_unused]] Algo algo) {
  auto native = [&] { CUDANET_DISPATCH(dy.device(), conv2d_backward_filter, dw, dy, x, d); };
#ifdef CUDANET_WITH_CUDA
  if (dy.device().is_cuda())
    return run_cuda(dy, algo, "backward_filter", d, native,
                    [&] { cuda::cudnn_conv2d_backward_filter(dw, dy, x, d); });
#endif
  native();
}

void backward_bias(const Tensor& db, const Tensor& dy, const Conv2dDims& d, [[maybe_unused]] Algo algo) {
  auto native = [&] { CUDANET_DISPATCH(dy.device(), conv2d_backward_bias, db, dy, d); };
#ifdef CUDANET_WITH_CUDA
  if (dy.device().is_cuda())
    return run_cuda(dy, algo, "backward_bias", d, native, [&] { cuda::cudnn_conv2d_backward_bias(db, dy, d); });
#endif
  native();
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  const Conv2dDims d = conv_dims(x, w, b, p);
  Tensor y = Tensor::empty({d.n, d.o, d.oh, d.ow}, x.dtype(), x.device());
  forward(y, x, w, b, d, p.algo);
  if (any_requires_grad({&x, &w, &b})) {
    const bool need_dx = x.requires_grad(), need_dw = w.requires_grad(), need_db = b.requires_grad();
    record(y, "conv2d", {x, w, b},
           [d, algo = p.algo, xs = x.detach(), ws = w.detach(), need_dx, need_dw, need_db](const Tensor& g) {
             Tensor dx, dw, db;
             if (need_dx) {
               dx = Tensor::empty(xs.shape(), g.dtype(), g.device());
               backward_data(dx, g, ws, d, algo);
             }
             if (need_dw) {
               dw = Tensor::empty(ws.shape(), g.dtype(), g.device());
               backward_filter(dw, g, xs, d, algo);
             }
             if (need_db) {
               db = Tensor::empty({d.o}, g.dtype(), g.device());
               backward_bias(db, g, d, algo);
             }
             return std::vector<Tensor>{dx, dw, db};
           });
  }
  return y;
}

}  // namespace cudanet
