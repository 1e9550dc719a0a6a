#pragma once
// The instruction-set level the CPU backend runs at. The CPU kernels are
// compiled once per level and the best level this processor supports is
// chosen at start-up, as ATen's CPU_CAPABILITY does; the environment variable
// CUDANET_CPU_CAPABILITY=baseline|avx2|avx512 forces a lower one.
namespace cudanet {

// Baseline: x86-64 (SSE2). Avx2: AVX2 + FMA. Avx512: AVX2, FMA and AVX-512
// F/BW/VL/DQ. Native: the one level of a -DCUDANET_NATIVE_CPU=ON build
// (-march=native: the processor that built it).
enum class CpuCapability { Baseline, Avx2, Avx512, Native };

// The level the CPU kernels run at, chosen at the first call (the first CPU
// kernel makes it): CUDANET_CPU_CAPABILITY's level when set, else the best
// level both this build and this processor have. Throws cudanet::Error, one
// line naming the variable and what the processor supports, when the variable
// names no level or one this processor or build lacks; never runs code the
// processor cannot execute.
CpuCapability active_cpu_capability();
// Its name: "baseline", "avx2", "avx512" or "native".
const char* cpu_capability();

const char* cpu_capability_name(CpuCapability level);
// The best of Baseline, Avx2 and Avx512 this processor (and its OS) runs.
CpuCapability cpu_capability_supported();
// Whether this build compiled the CPU kernels for `level`.
bool cpu_capability_built(CpuCapability level);
// The choice active_cpu_capability() makes, from explicit inputs: `requested`
// is the variable's value (null or empty: unset).
CpuCapability choose_cpu_capability(const char* requested, CpuCapability supported);

}  // namespace cudanet
