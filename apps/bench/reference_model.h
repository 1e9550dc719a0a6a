#pragma once
// The reference model's layer shapes (layers/zoo.h kSeedCnn on 1x28x28 inputs)
// and its arithmetic, for the per-layer cases and the end-to-end FLOP rate.
//
//   conv1 1->32 3x3: 28x28 -> 26x26, pool1 -> 13x13
//   conv2 32->64 3x3: 13x13 -> 11x11, pool2 -> 5x5
//   conv3 64->64 3x3: 5x5 -> 3x3, flatten 576, dense1 576->64, dense2 64->10
#include <cstdint>

namespace cudanet::bench {

struct ConvShape {
  const char* name;
  int64_t c, h, w, o, k;  // valid padding, stride 1
  int64_t oh() const { return h - k + 1; }
  int64_t ow() const { return w - k + 1; }
  // One pass (forward, backward-data or backward-filter) is the same GEMM size.
  double flops_per_image() const { return 2.0 * oh() * ow() * o * c * k * k; }
  constexpr int64_t parameters() const { return o * c * k * k + o; }  // weights and bias
};
struct PoolShape {
  const char* name;
  int64_t c, h, w, k;  // max pooling, stride = kernel
};
struct DenseShape {
  const char* name;
  int64_t in, out;
  double flops_per_image() const { return 2.0 * in * out; }
  constexpr int64_t parameters() const { return in * out + out; }
};

inline constexpr ConvShape kRefConvs[] = {{"conv1", 1, 28, 28, 32, 3}, {"conv2", 32, 13, 13, 64, 3},
                                          {"conv3", 64, 5, 5, 64, 3}};
inline constexpr PoolShape kRefPools[] = {{"pool1", 32, 26, 26, 2}, {"pool2", 64, 11, 11, 2}};
inline constexpr DenseShape kRefDenses[] = {{"dense1", 576, 64}, {"dense2", 64, 10}};
inline constexpr int kRefBatches[] = {64, 512};
inline constexpr int kRefClasses = 10;

// Multiply-adds counted twice; forward = every conv and dense layer once.
inline double ref_forward_flops_per_image() {
  double f = 0;
  for (const auto& c : kRefConvs) f += c.flops_per_image();
  for (const auto& d : kRefDenses) f += d.flops_per_image();
  return f;
}
// A training step: forward, backward-data and backward-filter of every layer,
// less conv1's backward-data (the input needs no gradient). Element-wise work
// (ReLU, pooling, bias, loss, Adam) is memory-bound and not counted.
inline double ref_train_flops_per_image() { return 3 * ref_forward_flops_per_image() - kRefConvs[0].flops_per_image(); }

// The floats of the model's gradient, which data-parallel training all-reduces
// every step: 320 + 18,496 + 36,928 (convs) + 36,928 + 650 (dense) = 93,322.
constexpr int64_t ref_parameters() {
  int64_t n = 0;
  for (const auto& c : kRefConvs) n += c.parameters();
  for (const auto& d : kRefDenses) n += d.parameters();
  return n;
}
static_assert(ref_parameters() == 93322);

}  // namespace cudanet::bench
