#include "kernels/cpu/pool2d.h"

#include <algorithm>
#include <type_traits>

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

namespace {

struct Span {
  int lo, hi;  // [lo, hi)
};

// The input rows (or columns) a window starting at `start` covers, clipped to [0, size).
inline Span clip(int start, int k, int size) { return {std::max(start, 0), std::min(start + k, size)}; }

// The outputs along one axis whose windows lie wholly inside [0, size).
inline Span interior(int size, int out, int k, int s, int p) {
  const int lo = std::min((p + s - 1) / s, out);
  return {lo, std::max(lo, std::min((size + p - k) / s + 1, out))};
}

// Calls window(o, h0, w0, nh, nw) for every output o of a plane, with its
// window clipped to the input: nh x nw pixels from (h0, w0). Interior windows
// run in a loop of their own with nh = K, nw = K as compile-time constants
// when K > 0: short loops of unknown length mispredict their exits, which
// cost several times the arithmetic (measured: 2x2 max pooling 5x faster).
template <int K, class F>
inline void for_each_window(const Pool2dDims& d, F&& window) {
  const int h = d.h, w = d.w, oh_n = d.oh, ow_n = d.ow, sh = d.sh, sw = d.sw, ph = d.ph, pw = d.pw;
  const int kh = K ? K : d.kh, kw = K ? K : d.kw;
  const Span rows_in = interior(h, oh_n, kh, sh, ph), cols_in = interior(w, ow_n, kw, sw, pw);
  for (int oh = 0; oh < oh_n; ++oh) {
    const Span r = clip(oh * sh - ph, kh, h);
    const int64_t row = int64_t{oh} * ow_n;
    const bool row_in = oh >= rows_in.lo && oh < rows_in.hi;
    const int lo = row_in ? cols_in.lo : ow_n, hi = row_in ? cols_in.hi : ow_n;
    auto edge = [&](int ow) {
      const Span s = clip(ow * sw - pw, kw, w);
      window(row + ow, r.lo, s.lo, r.hi - r.lo, s.hi - s.lo);
    };
    for (int ow = 0; ow < lo; ++ow) edge(ow);
    for (int ow = hi; ow < ow_n; ++ow) edge(ow);
    for (int ow = lo; ow < hi; ++ow) window(row + ow, r.lo, ow * sw - pw, kh, kw);
  }
}

// Calls f(std::integral_constant<int, K>) with K the square kernel size when
// it has a specialised path (2, 3), else K = 0 (sizes read at run time).
template <class F>
inline void with_kernel(const Pool2dDims& d, F&& f) {
  if (d.kh == 2 && d.kw == 2) f(std::integral_constant<int, 2>{});
  else if (d.kh == 3 && d.kw == 3) f(std::integral_constant<int, 3>{});
  else f(std::integral_constant<int, 0>{});
}

// One plane: xp (h, w) -> yp, ap (oh, ow). Selects rather than branches (random
// data mispredicts every other compare); NaN wins, as in PyTorch.
template <int K, class T>
void max_plane(T* __restrict yp, int32_t* __restrict ap, const T* __restrict xp, const Pool2dDims& d) {
  const int w = d.w;
  for_each_window<K>(d, [&](int64_t o, int h0, int w0, int nh, int nw) {
    int32_t arg = h0 * w + w0;
    T best = xp[arg];
    for (int i = 0; i < nh; ++i)
      for (int j = 0; j < nw; ++j) {
        const int32_t k = (h0 + i) * w + w0 + j;
        const T v = xp[k];
        const bool take = v > best || v != v;
        best = take ? v : best;
        arg = take ? k : arg;
      }
    yp[o] = best;
    ap[o] = arg;
  });
}

// 2x2 windows at stride 2 without padding, the pooling of nearly every CNN:
// one loop over a row's outputs that the compiler vectorises (stride-2 loads,
// selects), where the window loop above stays scalar. Same visiting order and
// NaN rule as max_plane, so the same maxima and indices.
template <class T>
void max_plane_2x2(T* __restrict yp, int32_t* __restrict ap, const T* __restrict xp, const Pool2dDims& d) {
  const int w = d.w, ow_n = d.ow;
  for (int oh = 0; oh < d.oh; ++oh) {
    const int32_t r = 2 * oh * w;
    const T* __restrict x0 = xp + r;
    const T* __restrict x1 = x0 + w;
    T* __restrict yr = yp + int64_t{oh} * ow_n;
    int32_t* __restrict ar = ap + int64_t{oh} * ow_n;
#pragma omp simd
    for (int ow = 0; ow < ow_n; ++ow) {
      const int32_t k = r + 2 * ow;
      T best = x0[2 * ow];
      int32_t arg = k;
      const T v1 = x0[2 * ow + 1], v2 = x1[2 * ow], v3 = x1[2 * ow + 1];
      bool take = v1 > best || v1 != v1;
      best = take ? v1 : best, arg = take ? k + 1 : arg;
      take = v2 > best || v2 != v2;
      best = take ? v2 : best, arg = take ? k + w : arg;
      take = v3 > best || v3 != v3;
      best = take ? v3 : best, arg = take ? k + w + 1 : arg;
      yr[ow] = best;
      ar[ow] = arg;
    }
  }
}

bool is_2x2_stride_2(const Pool2dDims& d) {
  return d.kh == 2 && d.kw == 2 && d.sh == 2 && d.sw == 2 && d.ph == 0 && d.pw == 0;
}

template <int K, class T>
void avg_plane(T* __restrict yp, const T* __restrict xp, const Pool2dDims& d) {
  const int w = d.w;
  const T inv = static_cast<T>(1.0 / (d.kh * d.kw));
  for_each_window<K>(d, [&](int64_t o, int h0, int w0, int nh, int nw) {
    T acc = 0;
    for (int i = 0; i < nh; ++i)
      for (int j = 0; j < nw; ++j) acc += xp[(h0 + i) * w + w0 + j];
    yp[o] = acc * inv;
  });
}

template <int K, class T>
void avg_plane_backward(T* __restrict dxp, const T* __restrict dyp, const Pool2dDims& d) {
  const int w = d.w;
  const T inv = static_cast<T>(1.0 / (d.kh * d.kw));
  for_each_window<K>(d, [&](int64_t o, int h0, int w0, int nh, int nw) {
    const T g = dyp[o] * inv;
    for (int i = 0; i < nh; ++i)
      for (int j = 0; j < nw; ++j) dxp[(h0 + i) * w + w0 + j] += g;
  });
}

}  // namespace

void pool2d_forward(const Tensor& y, const Tensor& argmax, const Tensor& x, const Pool2dDims& d) {
  dispatch_floating(x.dtype(), "pool2d", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    T* ys = y.data<T>();
    int32_t* as = d.mode == PoolMode::Max ? argmax.data<int32_t>() : nullptr;
    const int64_t in_plane = int64_t{d.h} * d.w, out_plane = int64_t{d.oh} * d.ow;
    with_kernel(d, [&](auto k) {
      constexpr int K = decltype(k)::value;
      const bool fast = as && is_2x2_stride_2(d);
#pragma omp parallel for if (d.planes() * in_plane > kParallelGrain)
      for (int64_t p = 0; p < d.planes(); ++p) {
        if (fast) max_plane_2x2(ys + p * out_plane, as + p * out_plane, xs + p * in_plane, d);
        else if (as) max_plane<K>(ys + p * out_plane, as + p * out_plane, xs + p * in_plane, d);
        else avg_plane<K>(ys + p * out_plane, xs + p * in_plane, d);
      }
    });
  });
}

void pool2d_backward(const Tensor& dx, const Tensor& dy, const Tensor& argmax, const Pool2dDims& d) {
  dispatch_floating(dy.dtype(), "pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* dys = dy.data<T>();
    T* dxs = dx.data<T>();
    const int32_t* as = d.mode == PoolMode::Max ? argmax.data<int32_t>() : nullptr;
    const int64_t in_plane = int64_t{d.h} * d.w, out_plane = int64_t{d.oh} * d.ow;
    with_kernel(d, [&](auto k) {
      constexpr int K = decltype(k)::value;
      // Planes are disjoint, so overlapping windows accumulate without races.
#pragma omp parallel for if (d.planes() * in_plane > kParallelGrain)
      for (int64_t p = 0; p < d.planes(); ++p) {
        T* dxp = dxs + p * in_plane;
        const T* dyp = dys + p * out_plane;
        std::fill(dxp, dxp + in_plane, T(0));
        if (as) {
          const int32_t* ap = as + p * out_plane;
          for (int64_t o = 0; o < out_plane; ++o) dxp[ap[o]] += dyp[o];
        } else {
          avg_plane_backward<K>(dxp, dyp, d);
        }
      }
    });
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
