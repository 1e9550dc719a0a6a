#pragma once
// The block scheduler's face to the runtime (emu/src/runtime.cpp).
#include <functional>
#include <string>

#include "cuda_runtime.h"

namespace cudaemu {

// Runs every block of the grid, one after another, each block's threads as
// fibers. On a refused launch or a checker's finding, returns the error and
// sets `why` to one line naming the check, the kernel, the block and the thread.
cudaError_t run_grid(const LaunchSite& site, dim3 grid, dim3 block, size_t smem, const std::function<void()>& body,
                     std::string& why);

// The limits the launch is checked against (the emulated device's properties).
struct Limits {
  int max_threads_per_block = 1024;
  int max_block[3] = {1024, 1024, 64};
  int max_grid[3] = {2147483647, 65535, 65535};
  size_t shared_per_block = 48 * 1024;
};
const Limits& limits();

}  // namespace cudaemu
