#pragma once
// Geometry of one 2-D convolution, derived once by the entry point and shared by
// the CPU and CUDA backends:
//   x (n, c, h, w), w (o, c, kh, kw), y (n, o, oh, ow),
//   oh = (h + 2 * pad_h - kh) / stride_h + 1, and likewise ow.
#include <cstdint>

namespace cudanet {

struct Conv2dDims {
  int64_t n = 1, c = 1, h = 1, w = 1;  // input
  int64_t o = 1, kh = 1, kw = 1;       // filters
  int64_t oh = 1, ow = 1;              // output
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;

  int64_t taps() const { return kh * kw; }
  int64_t patch() const { return c * kh * kw; }  // the GEMM reduction of the forward pass
  int64_t in_pixels() const { return h * w; }
  int64_t out_pixels() const { return oh * ow; }
};

}  // namespace cudanet
