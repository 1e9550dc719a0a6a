#pragma once
// Row-wise softmax over x (rows, cols), shared by the CPU and CUDA backends and
// by the fused cross-entropy kernels.
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/algo.h"
#include "kernels/common/philox.h"  // CUDANET_HD

namespace cudanet {

struct SoftmaxParams {
  int64_t rows = 1, cols = 1;
  bool log = false;          // log_softmax
  Algo algo = Algo::Native;  // CUDA only, resolved by the entry point: Native, Cudnn or Auto
};

// The running maximum of a row and the sum of exp(x - max) over the elements
// seen so far ("online softmax", Milakov & Gimelshein 2018): one pass over the
// row instead of two, and partial results from several threads merge exactly.
// Ties (including -inf == -inf) add exp(0) = 1 without computing inf - inf, so
// a row of -inf stays well defined until the final division; a NaN element
// never wins a comparison and ends up in `sum`, so it propagates to the output.
template <class T>
struct MaxSum {
  T max;
  T sum;
};

template <class T>
CUDANET_HD MaxSum<T> max_sum_empty() {
  return {-std::numeric_limits<T>::infinity(), T(0)};
}

template <class T>
CUDANET_HD MaxSum<T> max_sum_push(MaxSum<T> a, T x) {
  if (x > a.max) {
    a.sum = a.sum * std::exp(a.max - x) + T(1);
    a.max = x;
  } else if (x == a.max) {
    a.sum += T(1);
  } else {
    a.sum += std::exp(x - a.max);
  }
  return a;
}

template <class T>
CUDANET_HD MaxSum<T> max_sum_merge(MaxSum<T> a, MaxSum<T> b) {
  if (b.max > a.max) {
    const MaxSum<T> t = a;
    a = b;
    b = t;
  }
  if (b.max == a.max) return {a.max, a.sum + b.sum};
  return {a.max, a.sum + b.sum * std::exp(b.max - a.max)};
}

}  // namespace cudanet
