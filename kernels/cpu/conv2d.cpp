// Convolution on the CPU as im2col + Eigen GEMM. The batch is cut into chunks
// of a few images; each OpenMP thread owns its chunks and its column buffer, so
// the GEMMs run single-threaded side by side (small convolutions gain nothing
// from a GEMM split across cores). A chunk holds enough images that the GEMM is
// wide enough to run near peak even when one image has few output pixels
// (3x3 maps in the last MNIST layer).
#include "kernels/cpu/conv2d.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

namespace {

template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatMap = Eigen::Map<Mat<T>>;
template <class T>
using ConstMatMap = Eigen::Map<const Mat<T>>;

// Columns per GEMM worth batching images for: below this Eigen's packing
// overhead dominates (measured on the reference shapes).
constexpr int64_t kGemmColumns = 256;

struct Chunking {
  int64_t images;  // per chunk
  int64_t chunks;
  bool parallel;
};

Chunking chunking(const Conv2dDims& d, int64_t work) {
  const bool parallel = work > kParallelGrain && d.n > 1;
  const int64_t threads = parallel ? std::max(1, omp_get_max_threads()) : 1;
  // As many chunks as kGemmColumns-wide GEMMs fill, rounded up to a multiple of
  // the thread count so the static schedule gives every thread equal work.
  const int64_t by_width = std::max<int64_t>(1, d.n * d.out_pixels() / kGemmColumns);
  const int64_t chunks = std::min(d.n, (by_width + threads - 1) / threads * threads);
  const int64_t images = (d.n + chunks - 1) / chunks;
  return {images, (d.n + images - 1) / images, parallel};
}

// The output columns [lo, hi) of one kernel row for which the input column
// ow * stride - pad + kw lies inside [0, w).
struct ValidRange {
  int64_t lo, hi;
};
ValidRange valid_range(int64_t k, int64_t stride, int64_t pad, int64_t in, int64_t out) {
  // i = o * stride - pad + k in [0, in)  <=>  o in [ceil((pad - k) / stride), ceil((in + pad - k) / stride))
  auto ceil_div = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  return {std::clamp<int64_t>(ceil_div(pad - k, stride), 0, out),
          std::clamp<int64_t>(ceil_div(in + pad - k, stride), 0, out)};
}

// Writes image x (c, h, w) as columns: col row (c, kh, kw), column (oh, ow), at
// col[row * ld + column]. Padding reads as zero.
//
// The rows are short (3 pixels in the last MNIST layer), so what surrounds the
// copy costs more than the copy: the valid ranges are computed once per kernel
// column, not per row (two divisions each, 9% of conv3's time), and
// stride 1 without padding, every layer of the reference model, copies with
// no range logic at all.
template <class T>
void im2col(T* col, int64_t ld, const T* x, const Conv2dDims& d) {
  if (d.stride_h == 1 && d.stride_w == 1 && d.pad_h == 0 && d.pad_w == 0) {
    const int64_t ow = d.ow;
    for (int64_t c = 0; c < d.c; ++c)
      for (int64_t kh = 0; kh < d.kh; ++kh)
        for (int64_t kw = 0; kw < d.kw; ++kw) {
          T* dst = col + ((c * d.kh + kh) * d.kw + kw) * ld;
          const T* src = x + (c * d.h + kh) * d.w + kw;
          for (int64_t oh = 0; oh < d.oh; ++oh, dst += ow, src += d.w)
            for (int64_t q = 0; q < ow; ++q) dst[q] = src[q];
        }
    return;
  }
  std::vector<ValidRange> ranges(static_cast<size_t>(d.kw));
  for (int64_t kw = 0; kw < d.kw; ++kw) ranges[kw] = valid_range(kw, d.stride_w, d.pad_w, d.w, d.ow);
  for (int64_t c = 0; c < d.c; ++c)
    for (int64_t kh = 0; kh < d.kh; ++kh)
      for (int64_t kw = 0; kw < d.kw; ++kw) {
        T* row = col + ((c * d.kh + kh) * d.kw + kw) * ld;
        const ValidRange cols = ranges[kw];
        for (int64_t oh = 0; oh < d.oh; ++oh) {
          T* dst = row + oh * d.ow;
          const int64_t ih = oh * d.stride_h - d.pad_h + kh;
          if (ih < 0 || ih >= d.h || cols.lo >= cols.hi) {
            std::fill(dst, dst + d.ow, T(0));
            continue;
          }
          const T* src = x + (c * d.h + ih) * d.w - d.pad_w + kw;  // src[ow * stride_w] is x[c, ih, iw]
          for (int64_t ow = 0; ow < cols.lo; ++ow) dst[ow] = T(0);
          if (d.stride_w == 1) {
            for (int64_t ow = cols.lo; ow < cols.hi; ++ow) dst[ow] = src[ow];
          } else {
            for (int64_t ow = cols.lo; ow < cols.hi; ++ow) dst[ow] = src[ow * d.stride_w];
          }
          for (int64_t ow = cols.hi; ow < d.ow; ++ow) dst[ow] = T(0);
        }
      }
}

// The adjoint of im2col: adds every column entry back onto the input pixel it
// was read from. dx (c, h, w) must be zeroed by the caller. Same fast path and
// hoisted ranges as im2col.
template <class T>
void col2im(T* dx, const T* col, int64_t ld, const Conv2dDims& d) {
  if (d.stride_h == 1 && d.stride_w == 1 && d.pad_h == 0 && d.pad_w == 0) {
    const int64_t ow = d.ow;
    for (int64_t c = 0; c < d.c; ++c)
      for (int64_t kh = 0; kh < d.kh; ++kh)
        for (int64_t kw = 0; kw < d.kw; ++kw) {
          const T* src = col + ((c * d.kh + kh) * d.kw + kw) * ld;
          T* dst = dx + (c * d.h + kh) * d.w + kw;
          for (int64_t oh = 0; oh < d.oh; ++oh, src += ow, dst += d.w)
            for (int64_t q = 0; q < ow; ++q) dst[q] += src[q];
        }
    return;
  }
  std::vector<ValidRange> ranges(static_cast<size_t>(d.kw));
  for (int64_t kw = 0; kw < d.kw; ++kw) ranges[kw] = valid_range(kw, d.stride_w, d.pad_w, d.w, d.ow);
  for (int64_t c = 0; c < d.c; ++c)
    for (int64_t kh = 0; kh < d.kh; ++kh)
      for (int64_t kw = 0; kw < d.kw; ++kw) {
        const T* row = col + ((c * d.kh + kh) * d.kw + kw) * ld;
        const ValidRange cols = ranges[kw];
        for (int64_t oh = 0; oh < d.oh; ++oh) {
          const int64_t ih = oh * d.stride_h - d.pad_h + kh;
          if (ih < 0 || ih >= d.h) continue;
          const T* src = row + oh * d.ow;
          T* dst = dx + (c * d.h + ih) * d.w - d.pad_w + kw;
          if (d.stride_w == 1) {
            for (int64_t ow = cols.lo; ow < cols.hi; ++ow) dst[ow] += src[ow];
          } else {
            for (int64_t ow = cols.lo; ow < cols.hi; ++ow) dst[ow * d.stride_w] += src[ow];
          }
        }
      }
}

// Copies dy of images [first, first + count) into one (o, count * oh * ow)
// matrix, the layout the batched GEMMs read.
template <class T>
void gather_dy(T* out, const T* dy, int64_t first, int64_t count, const Conv2dDims& d) {
  const int64_t p = d.out_pixels();
  for (int64_t o = 0; o < d.o; ++o)
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(out + (o * count + i) * p, dy + ((first + i) * d.o + o) * p, p * sizeof(T));
}

// dy of images [first, first + count) as one (o, count * oh*ow) matrix: the
// tensor itself for a single image, else gathered into g.
template <class T>
const T* chunk_dy(Mat<T>& g, const T* dys, int64_t first, int64_t count, const Conv2dDims& d) {
  if (count == 1) return dys + first * d.o * d.out_pixels();
  gather_dy(g.data(), dys, first, count, d);
  return g.data();
}

}  // namespace

void conv2d_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dDims& d) {
  dispatch_floating(x.dtype(), "conv2d", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    const T* bs = b.defined() ? b.data<T>() : nullptr;
    T* ys = y.data<T>();
    const int64_t p = d.out_pixels(), k = d.patch();
    const ConstMatMap<T> wm(w.data<T>(), d.o, k);  // (o, c*kh*kw)
    const Chunking ch = chunking(d, d.n * d.o * p * k);
#pragma omp parallel if (ch.parallel)
    {
      Mat<T> col(k, ch.images * p);  // (c*kh*kw, images*oh*ow)
      Mat<T> out(ch.images > 1 ? d.o : 0, ch.images * p);
#pragma omp for schedule(static)
      for (int64_t chunk = 0; chunk < ch.chunks; ++chunk) {
        const int64_t first = chunk * ch.images, count = std::min(ch.images, d.n - first);
        const int64_t ld = count * p;
        for (int64_t i = 0; i < count; ++i) im2col(col.data() + i * p, ld, xs + (first + i) * d.c * d.h * d.w, d);
        const ConstMatMap<T> cm(col.data(), k, ld);
        if (count == 1) {
          MatMap<T> ym(ys + first * d.o * p, d.o, p);
          ym.noalias() = wm * cm;
          if (bs) ym.colwise() += Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(bs, d.o);
          continue;
        }
        MatMap<T> om(out.data(), d.o, ld);
        om.noalias() = wm * cm;
        for (int64_t i = 0; i < count; ++i)
          for (int64_t o = 0; o < d.o; ++o) {
            const T* src = out.data() + o * ld + i * p;
            T* dst = ys + ((first + i) * d.o + o) * p;
            const T bias = bs ? bs[o] : T(0);
            for (int64_t q = 0; q < p; ++q) dst[q] = src[q] + bias;
          }
      }
    }
  });
}

void conv2d_backward_data(const Tensor& dx, const Tensor& dy, const Tensor& w, const Conv2dDims& d) {
  dispatch_floating(dy.dtype(), "conv2d_backward_data", [&](auto tag) {
    using T = decltype(tag);
    const T* dys = dy.data<T>();
    T* dxs = dx.data<T>();
    const int64_t p = d.out_pixels(), k = d.patch(), image = d.c * d.h * d.w;
    const ConstMatMap<T> wm(w.data<T>(), d.o, k);  // (o, c*kh*kw)
    const Chunking ch = chunking(d, d.n * d.o * p * k);
#pragma omp parallel if (ch.parallel)
    {
      Mat<T> col(k, ch.images * p);                         // d(columns) (c*kh*kw, images*oh*ow)
      Mat<T> g(ch.images > 1 ? d.o : 0, ch.images * p);  // dy of the chunk (o, images*oh*ow)
#pragma omp for schedule(static)
      for (int64_t chunk = 0; chunk < ch.chunks; ++chunk) {
        const int64_t first = chunk * ch.images, count = std::min(ch.images, d.n - first);
        const int64_t ld = count * p;
        const T* gs = chunk_dy(g, dys, first, count, d);
        MatMap<T>(col.data(), k, ld).noalias() = wm.transpose() * ConstMatMap<T>(gs, d.o, ld);
        for (int64_t i = 0; i < count; ++i) {
          T* dxi = dxs + (first + i) * image;
          std::fill(dxi, dxi + image, T(0));
          col2im(dxi, col.data() + i * p, ld, d);
        }
      }
    }
  });
}

void conv2d_backward_filter(const Tensor& dw, const Tensor& dy, const Tensor& x, const Conv2dDims& d) {
  dispatch_floating(dy.dtype(), "conv2d_backward_filter", [&](auto tag) {
    using T = decltype(tag);
    const T* dys = dy.data<T>();
    const T* xs = x.data<T>();
    const int64_t p = d.out_pixels(), k = d.patch(), image = d.c * d.h * d.w;
    const Chunking ch = chunking(d, d.n * d.o * p * k);
    // One partial sum per thread, added in thread order afterwards: the static
    // schedule then makes dw reproducible from run to run.
    std::vector<Mat<T>> partial(ch.parallel ? omp_get_max_threads() : 1);
#pragma omp parallel if (ch.parallel)
    {
      Mat<T> col(k, ch.images * p);
      Mat<T> g(ch.images > 1 ? d.o : 0, ch.images * p);
      Mat<T>& acc = partial[omp_get_thread_num()];
      acc.setZero(d.o, k);
#pragma omp for schedule(static)
      for (int64_t chunk = 0; chunk < ch.chunks; ++chunk) {
        const int64_t first = chunk * ch.images, count = std::min(ch.images, d.n - first);
        const int64_t ld = count * p;
        const T* gs = chunk_dy(g, dys, first, count, d);
        for (int64_t i = 0; i < count; ++i) im2col(col.data() + i * p, ld, xs + (first + i) * image, d);
        acc.noalias() += ConstMatMap<T>(gs, d.o, ld) * ConstMatMap<T>(col.data(), k, ld).transpose();
      }
    }
    MatMap<T> dwm(dw.data<T>(), d.o, k);  // (o, c*kh*kw)
    dwm.setZero();
    for (const Mat<T>& part : partial)
      if (part.size() != 0) dwm += part;  // a thread the runtime did not start left none
  });
}

// Each (image, channel) row is summed vectorised in T, the rows in double: a
// single double accumulator per channel would serialise on add latency.
void conv2d_backward_bias(const Tensor& db, const Tensor& dy, const Conv2dDims& d) {
  dispatch_floating(dy.dtype(), "conv2d_backward_bias", [&](auto tag) {
    using T = decltype(tag);
    const T* dys = dy.data<T>();
    T* dbs = db.data<T>();
    const int64_t p = d.out_pixels();
#pragma omp parallel for if (d.n * d.o * p > kParallelGrain)
    for (int64_t o = 0; o < d.o; ++o) {
      double acc = 0;
      for (int64_t n = 0; n < d.n; ++n)
        acc += Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(dys + (n * d.o + o) * p, p).sum();
      dbs[o] = static_cast<T>(acc);
    }
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
