// Compiled once, with the library's flags: the lookup of the levels' tables.
#include "kernels/cpu/dispatch.h"

// Each level built exports its table (kernel_table.cpp); the build says which
// (CUDANET_CPU_BUILT_<LEVEL>, cmake/cpu_levels.cmake).
extern "C" {
#ifdef CUDANET_CPU_BUILT_BASELINE
extern const cudanet::cpu::KernelFn cudanet_cpu_kernels_baseline[];
#endif
#ifdef CUDANET_CPU_BUILT_AVX2
extern const cudanet::cpu::KernelFn cudanet_cpu_kernels_avx2[];
#endif
#ifdef CUDANET_CPU_BUILT_AVX512
extern const cudanet::cpu::KernelFn cudanet_cpu_kernels_avx512[];
#endif
#ifdef CUDANET_CPU_BUILT_NATIVE
extern const cudanet::cpu::KernelFn cudanet_cpu_kernels_native[];
#endif
}

namespace cudanet::cpu {

const KernelFn* kernels_for(CpuCapability level) {
  if (level != CpuCapability::Native && level > cpu_capability_supported()) return nullptr;
  switch (level) {
#ifdef CUDANET_CPU_BUILT_BASELINE
    case CpuCapability::Baseline: return cudanet_cpu_kernels_baseline;
#endif
#ifdef CUDANET_CPU_BUILT_AVX2
    case CpuCapability::Avx2: return cudanet_cpu_kernels_avx2;
#endif
#ifdef CUDANET_CPU_BUILT_AVX512
    case CpuCapability::Avx512: return cudanet_cpu_kernels_avx512;
#endif
#ifdef CUDANET_CPU_BUILT_NATIVE
    case CpuCapability::Native: return cudanet_cpu_kernels_native;
#endif
    default: return nullptr;
  }
}

const KernelFn* active_kernels() {
  static const KernelFn* const table = kernels_for(active_cpu_capability());
  return table;
}

}  // namespace cudanet::cpu
