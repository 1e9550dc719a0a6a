#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "core/storage.h"

int main(int argc, char** argv) {
  // Every allocation starts as NaN bytes: an op that leaves part of its output
  // unwritten fails its comparison instead of passing on leftover zeros.
  cudanet::set_poison_allocations(true);
  return Catch::Session().run(argc, argv);
}
