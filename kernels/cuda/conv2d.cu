// Convolution as implicit GEMM: each pass is a matrix product whose operands
// are gathered from the NCHW tensors on the fly into shared memory, so no
// column buffer ever exists in global memory.
//   forward          y  (pixels n*oh*ow, o) = x-patches (pixels, c*kh*kw) . w^T
//   backward data    dx (pixels n*h*w,  c) = dy-patches (pixels, o*kh*kw) . w
//   backward filter  dw (o, c*kh*kw)       = dy (o, n*oh*ow) . x-patches, split over n*oh*ow
// One 64x64 output tile per block of 256 threads, each thread a 4x4 micro-tile;
// the reduction advances 16 at a time. Every load is bounds-checked, so any
// shape works; padding and out-of-range taps read as zero.
#include <algorithm>
#include <climits>

#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/bias.cuh"
#include "kernels/cuda/conv2d.cuh"
#include "kernels/cuda/launch.cuh"

namespace cudanet::cuda {

namespace {
constexpr int kTileM = 64, kTileN = 64, kTileK = 16;
constexpr int kThreads = 256;  // 16 x 16, each computing kMicro x kMicro outputs
constexpr int kMicro = 4;
constexpr int kSide = 16;  // threads along each tile side

// a[k][m] and b[k][n]: one kTileK slice of the two operands. The +1 keeps the
// column-wise stores of the b loaders off a single bank.
template <class T>
struct Tiles {
  T a[kTileK][kTileM + 1];
  T b[kTileK][kTileN + 1];
};

// 32-bit geometry for index arithmetic on the device (the launchers check that
// every product fits).
struct Geom {
  int n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw;
  int taps, patch, in_pixels, out_pixels;
};

Geom geom(const Conv2dDims& d) {
  // GEMM rows and reductions, and the elements of one image of x and of y.
  const int64_t extents[] = {d.n * d.oh * d.ow, d.n * d.h * d.w, d.c * d.kh * d.kw,
                             d.o * d.kh * d.kw, d.c * d.h * d.w,  d.o * d.oh * d.ow};
  for (int64_t v : extents)
    CUDANET_CHECK(v < INT_MAX, "conv2d: problem too large for the native kernels' 32-bit indexing (", v,
                  " elements along one GEMM side or in one image)");
  Geom g;
  g.n = static_cast<int>(d.n), g.c = static_cast<int>(d.c), g.h = static_cast<int>(d.h);
  g.w = static_cast<int>(d.w), g.o = static_cast<int>(d.o), g.kh = static_cast<int>(d.kh);
  g.kw = static_cast<int>(d.kw), g.oh = static_cast<int>(d.oh), g.ow = static_cast<int>(d.ow);
  g.sh = static_cast<int>(d.stride_h), g.sw = static_cast<int>(d.stride_w);
  g.ph = static_cast<int>(d.pad_h), g.pw = static_cast<int>(d.pad_w);
  g.taps = g.kh * g.kw, g.patch = g.c * g.taps, g.in_pixels = g.h * g.w, g.out_pixels = g.oh * g.ow;
  return g;
}

unsigned blocks(int64_t n, int tile) { return static_cast<unsigned>((n + tile - 1) / tile); }
}  // namespace

// ---------------------------------------------------------------- CUDA kernels

// acc[i][j] += A(m0 + tx + 16 i, k) * B(k, n0 + ty + 16 j) over k in [k_begin,
// k_end). load(tiles, k0) fills one slice of both operands; strided micro-tiles
// make neighbouring threads own neighbouring rows, so the epilogues' stores
// along m coalesce.
template <class T, class Load>
__device__ void tile_gemm(Tiles<T>& s, T (&acc)[kMicro][kMicro], int k_begin, int k_end, const Load& load) {
  const int tx = threadIdx.x % kSide, ty = threadIdx.x / kSide;
  for (int k0 = k_begin; k0 < k_end; k0 += kTileK) {
    load(s, k0);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      T a[kMicro], b[kMicro];
#pragma unroll
      for (int i = 0; i < kMicro; ++i) a[i] = s.a[kk][tx + kSide * i];
#pragma unroll
      for (int j = 0; j < kMicro; ++j) b[j] = s.b[kk][ty + kSide * j];
#pragma unroll
      for (int i = 0; i < kMicro; ++i)
#pragma unroll
        for (int j = 0; j < kMicro; ++j) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();
  }
}

// Forward operands. A(m, k) = x[n, c, oh*sh - ph + kh, ow*sw - pw + kw] with
// m = (n, oh, ow), k = (c, kh, kw); B(k, o) = w[o, k]. Each thread gathers A for
// one fixed m (decoded once) and four k; B for one k and four o.
template <class T>
struct ForwardLoad {
  const T* x;  // (n, c, h, w)
  const T* w;  // (o, c*kh*kw)
  Geom g;
  int m_local, k_quarter;  // A: this thread's row and first k
  int k_local, n_sixteenth;  // B: this thread's k and first column
  int n0;
  bool m_valid;
  int ih0, iw0;
  const T* x_img;

  __device__ ForwardLoad(const T* x_, const T* w_, const Geom& g_, int m0, int n0_) : x(x_), w(w_), g(g_), n0(n0_) {
    m_local = threadIdx.x % kTileM, k_quarter = threadIdx.x / kTileM;
    k_local = threadIdx.x % kTileK, n_sixteenth = threadIdx.x / kTileK;
    const int m = m0 + m_local;
    m_valid = m < g.n * g.out_pixels;
    const int img = m_valid ? m / g.out_pixels : 0, p = m_valid ? m % g.out_pixels : 0;
    ih0 = (p / g.ow) * g.sh - g.ph, iw0 = (p % g.ow) * g.sw - g.pw;
    x_img = x + static_cast<int64_t>(img) * g.c * g.in_pixels;
  }

  __device__ void operator()(Tiles<T>& s, int k0) const {
#pragma unroll
    for (int r = 0; r < kTileK / 4; ++r) {
      const int kl = k_quarter + 4 * r, k = k0 + kl;
      T v = 0;
      if (m_valid && k < g.patch) {
        const int c = k / g.taps, t = k - c * g.taps, kh = t / g.kw, kw = t - kh * g.kw;
        const int ih = ih0 + kh, iw = iw0 + kw;
        if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) v = x_img[(c * g.h + ih) * g.w + iw];
      }
      s.a[kl][m_local] = v;
    }
#pragma unroll
    for (int r = 0; r < kTileN / 16; ++r) {
      const int nl = n_sixteenth + 16 * r, o = n0 + nl, k = k0 + k_local;
      s.b[k_local][nl] = (o < g.o && k < g.patch) ? w[static_cast<int64_t>(o) * g.patch + k] : T(0);
    }
  }
};

// grid (pixel tiles, channel tiles). y (n, o, oh, ow) = A . B + bias.
template <class T>
__global__ void conv2d_forward_kernel(T* __restrict__ y, const T* __restrict__ x, const T* __restrict__ w,
                                      const T* __restrict__ bias, Geom g) {
  __shared__ Tiles<T> s;
  const int m0 = blockIdx.x * kTileM, n0 = blockIdx.y * kTileN;
  T acc[kMicro][kMicro] = {};
  tile_gemm(s, acc, 0, g.patch, ForwardLoad<T>(x, w, g, m0, n0));
  const int tx = threadIdx.x % kSide, ty = threadIdx.x / kSide;
#pragma unroll
  for (int i = 0; i < kMicro; ++i) {
    const int m = m0 + tx + kSide * i;
    if (m >= g.n * g.out_pixels) continue;
    const int img = m / g.out_pixels, p = m % g.out_pixels;
#pragma unroll
    for (int j = 0; j < kMicro; ++j) {
      const int o = n0 + ty + kSide * j;
      if (o < g.o) y[(static_cast<int64_t>(img) * g.o + o) * g.out_pixels + p] = acc[i][j] + (bias ? bias[o] : T(0));
    }
  }
}

// Backward-data operands. A(m, k) = dy[n, o, oh, ow] with m = (n, ih, iw),
// k = (o, kh, kw) and ih = oh*sh - ph + kh: only taps where (ih + ph - kh) is a
// multiple of the stride inside the output contribute. B(k, c) = w[o, c, kh, kw].
template <class T>
struct BackwardDataLoad {
  const T* dy;  // (n, o, oh, ow)
  const T* w;   // (o, c, kh, kw)
  Geom g;
  int m_local, k_quarter, k_local, n_sixteenth, n0;
  bool m_valid;
  int ihp, iwp;  // ih + ph, iw + pw
  const T* dy_img;

  __device__ BackwardDataLoad(const T* dy_, const T* w_, const Geom& g_, int m0, int n0_)
      : dy(dy_), w(w_), g(g_), n0(n0_) {
    m_local = threadIdx.x % kTileM, k_quarter = threadIdx.x / kTileM;
    k_local = threadIdx.x % kTileK, n_sixteenth = threadIdx.x / kTileK;
    const int m = m0 + m_local;
    m_valid = m < g.n * g.in_pixels;
    const int img = m_valid ? m / g.in_pixels : 0, p = m_valid ? m % g.in_pixels : 0;
    ihp = p / g.w + g.ph, iwp = p % g.w + g.pw;
    dy_img = dy + static_cast<int64_t>(img) * g.o * g.out_pixels;
  }

  __device__ void operator()(Tiles<T>& s, int k0) const {
    const int reduction = g.o * g.taps;
#pragma unroll
    for (int r = 0; r < kTileK / 4; ++r) {
      const int kl = k_quarter + 4 * r, k = k0 + kl;
      T v = 0;
      if (m_valid && k < reduction) {
        const int o = k / g.taps, t = k - o * g.taps, kh = t / g.kw, kw = t - kh * g.kw;
        const int hs = ihp - kh, ws = iwp - kw;  // oh * sh, ow * sw when this tap reaches the pixel
        if (hs >= 0 && ws >= 0 && hs % g.sh == 0 && ws % g.sw == 0) {
          const int oh = hs / g.sh, ow = ws / g.sw;
          if (oh < g.oh && ow < g.ow) v = dy_img[(o * g.oh + oh) * g.ow + ow];
        }
      }
      s.a[kl][m_local] = v;
    }
#pragma unroll
    for (int r = 0; r < kTileN / 16; ++r) {
      const int nl = n_sixteenth + 16 * r, c = n0 + nl, k = k0 + k_local;
      T v = 0;
      if (c < g.c && k < reduction) {
        const int o = k / g.taps, t = k - o * g.taps;
        v = w[(static_cast<int64_t>(o) * g.c + c) * g.taps + t];
      }
      s.b[k_local][nl] = v;
    }
  }
};

// grid (input-pixel tiles, input-channel tiles). dx (n, c, h, w) = A . B.
template <class T>
__global__ void conv2d_backward_data_kernel(T* __restrict__ dx, const T* __restrict__ dy, const T* __restrict__ w,
                                            Geom g) {
  __shared__ Tiles<T> s;
  const int m0 = blockIdx.x * kTileM, n0 = blockIdx.y * kTileN;
  T acc[kMicro][kMicro] = {};
  tile_gemm(s, acc, 0, g.o * g.taps, BackwardDataLoad<T>(dy, w, g, m0, n0));
  const int tx = threadIdx.x % kSide, ty = threadIdx.x / kSide;
#pragma unroll
  for (int i = 0; i < kMicro; ++i) {
    const int m = m0 + tx + kSide * i;
    if (m >= g.n * g.in_pixels) continue;
    const int img = m / g.in_pixels, p = m % g.in_pixels;
#pragma unroll
    for (int j = 0; j < kMicro; ++j) {
      const int c = n0 + ty + kSide * j;
      if (c < g.c) dx[(static_cast<int64_t>(img) * g.c + c) * g.in_pixels + p] = acc[i][j];
    }
  }
}

// Backward-filter operands, reduction over r = (n, oh, ow). A(o, r) = dy[n, o, oh, ow];
// B(r, j) = x[n, c, oh*sh - ph + kh, ow*sw - pw + kw] with j = (c, kh, kw). Threads
// run along r so both gathers read consecutive pixels; each thread decodes its r
// once per slice and its four j once per block.
template <class T>
struct BackwardFilterLoad {
  const T* dy;  // (n, o, oh, ow)
  const T* x;   // (n, c, h, w)
  Geom g;
  int k_local, sixteenth, m0;
  int x_off[kTileN / 16];  // c * h * w of each of this thread's j, or -1 past the end
  int j_kh[kTileN / 16], j_kw[kTileN / 16];

  __device__ BackwardFilterLoad(const T* dy_, const T* x_, const Geom& g_, int m0_, int n0)
      : dy(dy_), x(x_), g(g_), m0(m0_) {
    k_local = threadIdx.x % kTileK, sixteenth = threadIdx.x / kTileK;
#pragma unroll
    for (int r = 0; r < kTileN / 16; ++r) {
      const int j = n0 + sixteenth + 16 * r;
      const int c = j / g.taps, t = j - c * g.taps;
      x_off[r] = j < g.patch ? c * g.in_pixels : -1;
      j_kh[r] = t / g.kw, j_kw[r] = t - (t / g.kw) * g.kw;
    }
  }

  __device__ void operator()(Tiles<T>& s, int k0) const {
    const int r_idx = k0 + k_local;
    const bool r_valid = r_idx < g.n * g.out_pixels;
    const int img = r_valid ? r_idx / g.out_pixels : 0, p = r_valid ? r_idx % g.out_pixels : 0;
    const int ih0 = (p / g.ow) * g.sh - g.ph, iw0 = (p % g.ow) * g.sw - g.pw;
    const T* dy_img = dy + static_cast<int64_t>(img) * g.o * g.out_pixels + p;
    const T* x_img = x + static_cast<int64_t>(img) * g.c * g.in_pixels;
#pragma unroll
    for (int r = 0; r < kTileM / 16; ++r) {
      const int ml = sixteenth + 16 * r, o = m0 + ml;
      s.a[k_local][ml] = (r_valid && o < g.o) ? dy_img[static_cast<int64_t>(o) * g.out_pixels] : T(0);
    }
#pragma unroll
    for (int r = 0; r < kTileN / 16; ++r) {
      const int ih = ih0 + j_kh[r], iw = iw0 + j_kw[r];
      const bool in = r_valid && x_off[r] >= 0 && ih >= 0 && ih < g.h && iw >= 0 && iw < g.w;
      s.b[k_local][sixteenth + 16 * r] = in ? x_img[x_off[r] + ih * g.w + iw] : T(0);
    }
  }
};

// grid (filter tiles, patch tiles, splits). Split z sums r in [z*chunk, (z+1)*chunk)
// into out + z * o * patch: dw itself when there is one split, else partial sums
// that conv2d_backward_filter_reduce_kernel adds in a fixed order (deterministic).
template <class T>
__global__ void conv2d_backward_filter_kernel(T* __restrict__ out, const T* __restrict__ dy,
                                              const T* __restrict__ x, Geom g, int chunk) {
  __shared__ Tiles<T> s;
  const int m0 = blockIdx.x * kTileM, n0 = blockIdx.y * kTileN;
  const int reduction = g.n * g.out_pixels;
  const int k_begin = blockIdx.z * chunk, k_end = min(reduction, k_begin + chunk);
  T acc[kMicro][kMicro] = {};
  tile_gemm(s, acc, k_begin, k_end, BackwardFilterLoad<T>(dy, x, g, m0, n0));
  T* part = out + static_cast<int64_t>(blockIdx.z) * g.o * g.patch;
  const int tx = threadIdx.x % kSide, ty = threadIdx.x / kSide;
#pragma unroll
  for (int i = 0; i < kMicro; ++i) {
    const int o = m0 + tx + kSide * i;
    if (o >= g.o) continue;
#pragma unroll
    for (int j = 0; j < kMicro; ++j) {
      const int col = n0 + ty + kSide * j;
      if (col < g.patch) part[static_cast<int64_t>(o) * g.patch + col] = acc[i][j];
    }
  }
}

// dw[i] = sum over splits z of partial[z][i].
template <class T>
__global__ void conv2d_backward_filter_reduce_kernel(T* __restrict__ dw, const T* __restrict__ partial, int64_t n,
                                                     int splits) {
  CUDANET_GRID_STRIDE(i, n) {
    T acc = 0;
    for (int z = 0; z < splits; ++z) acc += partial[z * n + i];
    dw[i] = acc;
  }
}

// ------------------------------------------------------------ kernel launchers

void conv2d_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dDims& d) {
  Context& c = ctx_of(x);
  const Geom g = geom(d);
  const dim3 grid(blocks(d.n * d.out_pixels(), kTileM), blocks(d.o, kTileN));
  dispatch_floating(x.dtype(), "conv2d", [&](auto tag) {
    using T = decltype(tag);
    conv2d_forward_kernel<T><<<grid, kThreads, 0, c.stream>>>(y.data<T>(), x.data<T>(), w.data<T>(),
                                                              b.defined() ? b.data<T>() : nullptr, g);
  });
  CUDANET_LAUNCH_CHECK("conv2d_forward_kernel");
}

void conv2d_backward_data(const Tensor& dx, const Tensor& dy, const Tensor& w, const Conv2dDims& d) {
  Context& c = ctx_of(dy);
  const Geom g = geom(d);
  const dim3 grid(blocks(d.n * d.in_pixels(), kTileM), blocks(d.c, kTileN));
  dispatch_floating(dy.dtype(), "conv2d_backward_data", [&](auto tag) {
    using T = decltype(tag);
    conv2d_backward_data_kernel<T><<<grid, kThreads, 0, c.stream>>>(dx.data<T>(), dy.data<T>(), w.data<T>(), g);
  });
  CUDANET_LAUNCH_CHECK("conv2d_backward_data_kernel");
}

// The reduction (n*oh*ow, 43k in the first MNIST layer) is far longer than the
// output (o x c*kh*kw, 32 x 9 there), so it is split across blocks until the
// device has about two blocks per SM, each split at least 4 slices long.
void conv2d_backward_filter(const Tensor& dw, const Tensor& dy, const Tensor& x, const Conv2dDims& d) {
  Context& c = ctx_of(dy);
  const Geom g = geom(d);
  const int64_t reduction = d.n * d.out_pixels();
  const int64_t tiles = blocks(d.o, kTileM) * static_cast<int64_t>(blocks(d.patch(), kTileN));
  const int64_t wanted = (2LL * c.props.multiProcessorCount + tiles - 1) / tiles;
  const int64_t most = std::max<int64_t>(1, reduction / (4 * kTileK));
  const int64_t splits_wanted = std::clamp<int64_t>(wanted, 1, std::min<int64_t>(most, 65535));
  const int64_t chunk = (reduction + splits_wanted - 1) / splits_wanted;
  const int64_t chunk_k = (chunk + kTileK - 1) / kTileK * kTileK;
  const int splits = static_cast<int>((reduction + chunk_k - 1) / chunk_k);
  const dim3 grid(blocks(d.o, kTileM), blocks(d.patch(), kTileN), splits);
  Tensor partial = splits > 1 ? Tensor::empty({splits, d.o, d.patch()}, dw.dtype(), dw.device()) : dw;
  dispatch_floating(dy.dtype(), "conv2d_backward_filter", [&](auto tag) {
    using T = decltype(tag);
    conv2d_backward_filter_kernel<T><<<grid, kThreads, 0, c.stream>>>(partial.data<T>(), dy.data<T>(), x.data<T>(),
                                                                      g, static_cast<int>(chunk_k));
    CUDANET_LAUNCH_CHECK("conv2d_backward_filter_kernel");
    if (splits > 1) {
      const int64_t n = d.o * d.patch();
      conv2d_backward_filter_reduce_kernel<T><<<elementwise_grid(n, c), kBlock, 0, c.stream>>>(
          dw.data<T>(), partial.data<T>(), n, splits);
      CUDANET_LAUNCH_CHECK("conv2d_backward_filter_reduce_kernel");
    }
  });
}

// The bias gradient is bias_add's: the same per-channel sum over (n, oh, ow).
void conv2d_backward_bias(const Tensor& db, const Tensor& dy, const Conv2dDims& d) {
  bias_add_backward(db, dy, BiasParams{d.n, d.o, d.out_pixels()});
}

}  // namespace cudanet::cuda
