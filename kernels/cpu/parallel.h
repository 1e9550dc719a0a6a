#pragma once
// The size below which a CPU loop stays on one thread because forking costs
// more than it saves.
#include <cstdint>

#include "core/threads.h"

namespace cudanet {
constexpr int64_t kParallelGrain = 1 << 15;
}  // namespace cudanet
