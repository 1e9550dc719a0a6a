#pragma once
// Dropout's mask, drawn identically by the CPU and CUDA backends: element i is
// kept when Philox word i (word i % 4 of counter offset + i / 4) is at least
// the threshold, so the same seed and offset give the same mask on either device.
#include <cstdint>

#include "kernels/common/philox.h"

namespace cudanet {

struct DropoutParams {
  int64_t n = 0;
  uint64_t seed = 0, offset = 0;  // Philox key and first counter
  uint32_t threshold = 0;         // floor(p * 2^32): keeps with probability 1 - p
  double scale = 1;               // 1 / (1 - p), applied to kept elements
};

CUDANET_HD uint64_t dropout_counters(int64_t n) { return (static_cast<uint64_t>(n) + 3) / 4; }

// Keep decisions of elements 4q .. 4q + 3, as bits 0 .. 3.
CUDANET_HD unsigned dropout_keep_bits(const DropoutParams& p, uint64_t q) {
  const philox::U4 r = philox::philox4x32(p.offset + q, p.seed);
  return static_cast<unsigned>(r.x >= p.threshold) | static_cast<unsigned>(r.y >= p.threshold) << 1 |
         static_cast<unsigned>(r.z >= p.threshold) << 2 | static_cast<unsigned>(r.w >= p.threshold) << 3;
}

}  // namespace cudanet
