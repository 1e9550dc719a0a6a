#pragma once
// Seeded, counter-based random numbers (Philox-4x32-10). Element i of a fill
// draws from counter (offset + i), so CPU and CUDA produce the same numbers for
// the same seed, and a run is reproducible on either device.
#include <cstdint>

#include "core/tensor.h"

namespace cudanet {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) { seed_ = seed, offset_ = offset; }
  // Reserves `n` counters and returns the first; each counter yields 4 words.
  uint64_t advance(uint64_t n) {
    uint64_t o = offset_;
    offset_ += n;
    return o;
  }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process-wide generator used when none is passed.
Generator& default_generator();
void manual_seed(uint64_t seed);

// 64 random bits, the first two words of Philox-4x32-10 at `counter` under key
// `seed`: the generator behind the fills, for host code that draws its own
// numbers (the data loader's shuffle).
uint64_t random_bits(uint64_t seed, uint64_t counter);

// In-place fills of a floating tensor on any device (entry points in
// core/ops/random.cpp).
void uniform_(const Tensor& t, double low, double high, Generator& gen = default_generator());
void normal_(const Tensor& t, double mean, double stddev, Generator& gen = default_generator());
// Keras's glorot_uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)).
void glorot_uniform_(const Tensor& t, int64_t fan_in, int64_t fan_out, Generator& gen = default_generator());
// He (Kaiming) normal: N(0, sqrt(2 / fan_in)).
void he_normal_(const Tensor& t, int64_t fan_in, Generator& gen = default_generator());

}  // namespace cudanet
