#pragma once
#include <cstdint>

namespace cudanet {
// pred and target with n elements each.
struct MseLossParams {
  int64_t n = 0;
};
}  // namespace cudanet
