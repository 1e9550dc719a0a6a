#pragma once
// Algo::Auto: time each candidate implementation once per shape key with CUDA
// events and remember the fastest, as cudnn.benchmark does. Internal header.
#include <functional>
#include <initializer_list>
#include <string>

#include "core/algo.h"

namespace cudanet::cuda {

// Returns the cached pick for `key`, or runs every candidate (one warm-up, then
// the median of kAutotuneRepeats timed runs on the device's stream), caches and
// returns the fastest. A candidate that throws is skipped.
Algo autotune(int device, const std::string& key, std::initializer_list<Algo> candidates,
              const std::function<void(Algo)>& run);

}  // namespace cudanet::cuda
