#pragma once
// Host memory for CPU tensors: 64-byte aligned, with large blocks cached for
// reuse. glibc returns every block above its mmap threshold to the kernel on
// free, so each training step on the CPU faulted its activations in again
// (~3,700 page faults and ~9 ms of a 49 ms step, measured with perf on the
// reference model at batch 64); a step reuses exactly the sizes of the last
// one, so a per-size free list removes that cost. Internal header.
#include <cstddef>

namespace cudanet::detail {

void* host_alloc(size_t bytes);               // nullptr when the system refuses
void host_free(void* p, size_t bytes) noexcept;
// Returns every cached block to the system.
void host_cache_release() noexcept;

}  // namespace cudanet::detail
