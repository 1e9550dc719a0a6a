#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/pool2d.cuh"

namespace cudanet::cuda {

// ---------------------------------------------------------------- CUDA kernels

// One thread per output. x (planes, h, w) -> y, argmax (planes, oh, ow).
// NaN wins a max, as on the CPU backend and in PyTorch.
template <class T, bool kMax>
__global__ void pool2d_forward_kernel(T* y, int32_t* argmax, const T* x, Pool2dDims d) {
  CUDANET_GRID_STRIDE(k, d.planes() * d.oh * d.ow) {
    const int ow = static_cast<int>(k % d.ow);
    const int oh = static_cast<int>((k / d.ow) % d.oh);
    const T* xp = x + (k / (int64_t{d.ow} * d.oh)) * (int64_t{d.h} * d.w);
    const int h0 = oh * d.sh - d.ph, w0 = ow * d.sw - d.pw;
    const int hlo = ::max(h0, 0), hhi = ::min(h0 + d.kh, d.h);
    const int wlo = ::max(w0, 0), whi = ::min(w0 + d.kw, d.w);
    if constexpr (kMax) {
      int32_t arg = hlo * d.w + wlo;
      T best = xp[arg];
      for (int ih = hlo; ih < hhi; ++ih)
        for (int iw = wlo; iw < whi; ++iw) {
          const T v = xp[ih * d.w + iw];
          if (v > best || v != v) best = v, arg = ih * d.w + iw;
        }
      y[k] = best;
      argmax[k] = arg;
    } else {
      T acc = 0;
      for (int ih = hlo; ih < hhi; ++ih)
        for (int iw = wlo; iw < whi; ++iw) acc += xp[ih * d.w + iw];
      y[k] = acc / static_cast<T>(d.kh * d.kw);
    }
  }
}

// One thread per input pixel: sums dy over the windows that cover it (at most
// ceil(kh/sh) * ceil(kw/sw); exactly one for 2x2 stride 2), keeping for max
// pooling only the windows whose argmax is this pixel. Deterministic, no atomics.
template <class T, bool kMax>
__global__ void pool2d_backward_kernel(T* dx, const T* dy, const int32_t* argmax, Pool2dDims d) {
  CUDANET_GRID_STRIDE(k, d.planes() * d.h * d.w) {
    const int iw = static_cast<int>(k % d.w);
    const int ih = static_cast<int>((k / d.w) % d.h);
    const int64_t base = (k / (int64_t{d.w} * d.h)) * (int64_t{d.oh} * d.ow);
    // Window oh covers rows [oh*sh - ph, oh*sh - ph + kh).
    const int hp = ih + d.ph, wp = iw + d.pw;
    const int oh_lo = hp < d.kh ? 0 : (hp - d.kh) / d.sh + 1, oh_hi = ::min(hp / d.sh, d.oh - 1);
    const int ow_lo = wp < d.kw ? 0 : (wp - d.kw) / d.sw + 1, ow_hi = ::min(wp / d.sw, d.ow - 1);
    const int32_t self = ih * d.w + iw;
    T acc = 0;
    for (int oh = oh_lo; oh <= oh_hi; ++oh)
      for (int ow = ow_lo; ow <= ow_hi; ++ow) {
        const int64_t o = base + oh * d.ow + ow;
        if (!kMax || argmax[o] == self) acc += dy[o];
      }
    dx[k] = kMax ? acc : acc / static_cast<T>(d.kh * d.kw);
  }
}

// ------------------------------------------------------------ kernel launchers

void pool2d_forward(const Tensor& y, const Tensor& argmax, const Tensor& x, const Pool2dDims& d) {
  Context& c = ctx_of(x);
  const int64_t n = d.planes() * d.oh * d.ow;
  if (n == 0) return;
  dispatch_floating(x.dtype(), "pool2d", [&](auto tag) {
    using T = decltype(tag);
    const unsigned grid = elementwise_grid(n, c);
    if (d.mode == PoolMode::Max)
      pool2d_forward_kernel<T, true><<<grid, kBlock, 0, c.stream>>>(y.data<T>(), argmax.data<int32_t>(),
                                                                     x.data<T>(), d);
    else
      pool2d_forward_kernel<T, false><<<grid, kBlock, 0, c.stream>>>(y.data<T>(), nullptr, x.data<T>(), d);
  });
  CUDANET_LAUNCH_CHECK("pool2d_forward_kernel");
}

void pool2d_backward(const Tensor& dx, const Tensor& dy, const Tensor& argmax, const Pool2dDims& d) {
  Context& c = ctx_of(dy);
  const int64_t n = d.planes() * d.h * d.w;
  if (n == 0) return;
  dispatch_floating(dy.dtype(), "pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const unsigned grid = elementwise_grid(n, c);
    if (d.mode == PoolMode::Max)
      pool2d_backward_kernel<T, true><<<grid, kBlock, 0, c.stream>>>(dx.data<T>(), dy.data<T>(),
                                                                      argmax.data<int32_t>(), d);
    else
      pool2d_backward_kernel<T, false><<<grid, kBlock, 0, c.stream>>>(dx.data<T>(), dy.data<T>(), nullptr, d);
  });
  CUDANET_LAUNCH_CHECK("pool2d_backward_kernel");
}

}  // namespace cudanet::cuda
