#pragma once
// The emulated device's own controls, for tests and tools: the order in which a
// block's threads run between barriers, strictness, and what the checkers said.
// Each has an environment variable, read once at start-up (docs/emulator.md):
//   CUDAEMU_ORDER=forward|reverse|shuffle  CUDAEMU_SEED=N  CUDAEMU_STRICT=1|0
//   CUDAEMU_SMS=N (4)  CUDAEMU_DEVICES=N (1)  CUDAEMU_MEMORY=bytes
//   CUDAEMU_LAUNCH_LOG=FILE (appends each launch site and instantiation the first time it runs)
#include <cstdint>
#include <string>

namespace cudaemu {

// Threads run as far as they can before the next one starts: forward runs them
// 0..n-1, reverse n-1..0, shuffle a fresh seeded permutation at every barrier
// round. The blocks of a grid follow the same order. A result that changes
// with the order is a race.
enum class Order { Forward, Reverse, Shuffle };

struct Options {
  Order order = Order::Forward;
  uint64_t seed = 0;
  // Strict (the default): a __syncthreads reached after some threads of the
  // block exited is an error. The programming guide requires every thread to
  // reach it; GPUs tolerate it today by accident of their implementation.
  bool strict = true;
};

Options options();
void set_options(const Options& o);

// The report of the last launch a checker stopped or the runtime refused
// ("" when none since the last clear), and the count of grids run.
std::string last_report();
void clear_report();
uint64_t grids_run();

}  // namespace cudaemu
