#include "core/threads.h"

#include <omp.h>

#include "core/error.h"

namespace cudanet {

void set_num_threads(int n) {
  CUDANET_CHECK(n >= 0, "thread count must be >= 0 (0 = all cores), got ", n);
  omp_set_num_threads(n == 0 ? omp_get_num_procs() : n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace cudanet
