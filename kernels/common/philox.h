#pragma once
// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11), usable from host and device code so both backends draw identical bits.
#include <cstdint>

#if defined(__CUDACC__)
#define CUDANET_HD __host__ __device__ __forceinline__
#else
#define CUDANET_HD inline
#endif

namespace cudanet::philox {

struct U4 {
  uint32_t x, y, z, w;
};

CUDANET_HD uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

// Four random 32-bit words for counter `ctr` under key `seed`.
CUDANET_HD U4 philox4x32(uint64_t ctr, uint64_t seed) {
  U4 c{static_cast<uint32_t>(ctr), static_cast<uint32_t>(ctr >> 32), 0u, 0u};
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo(0xD2511F53u, c.x, &hi0);
    uint32_t lo1 = mulhilo(0xCD9E8D57u, c.z, &hi1);
    c = U4{hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0};
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return c;
}

// A double in (0, 1]: 24 random bits, never zero (safe for log in Box-Muller).
CUDANET_HD double to_unit_double(uint32_t u) { return (static_cast<double>(u >> 8) + 1.0) * (1.0 / 16777216.0); }

// Element i of a fill: the (i % 4)-th word of counter offset + i / 4.
CUDANET_HD uint32_t word(uint64_t seed, uint64_t offset, uint64_t i) {
  U4 r = philox4x32(offset + i / 4, seed);
  switch (i % 4) {
    case 0: return r.x;
    case 1: return r.y;
    case 2: return r.z;
    default: return r.w;
  }
}

}  // namespace cudanet::philox
