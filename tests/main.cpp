#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "core/device.h"
#include "core/storage.h"

int main(int argc, char** argv) {
  // Every allocation starts as NaN bytes: an op that leaves part of its output
  // unwritten fails its comparison instead of passing on leftover zeros.
  cudanet::set_poison_allocations(true);
  Catch::Session session;
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  // Run by hand with no test named and no GPU: leave the [gpu] cases out rather
  // than stopping at the first (ctest names each case, and those skip with 77).
  auto& specs = session.configData().testsOrTags;
  if (specs.empty() && !cudanet::cuda_available()) specs.push_back("~[gpu]");
  return session.run();
}
