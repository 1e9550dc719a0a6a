#include "core/cpu_capability.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.h"

// The build says which levels it compiled the kernels for
// (CUDANET_CPU_BUILT_<LEVEL>, set by cmake/cpu_levels.cmake).

namespace cudanet {

namespace {

constexpr const char* kVariable = "CUDANET_CPU_CAPABILITY";
constexpr CpuCapability kLevels[] = {CpuCapability::Baseline, CpuCapability::Avx2, CpuCapability::Avx512,
                                     CpuCapability::Native};

// "baseline, avx2": the levels up to `best`.
std::string up_to(CpuCapability best) {
  std::string s;
  for (CpuCapability c : {CpuCapability::Baseline, CpuCapability::Avx2, CpuCapability::Avx512})
    if (c <= best) s += (s.empty() ? "" : ", ") + std::string(cpu_capability_name(c));
  return s;
}

std::string built_list() {
  std::string s;
  for (CpuCapability c : kLevels)
    if (cpu_capability_built(c)) s += (s.empty() ? "" : ", ") + std::string(cpu_capability_name(c));
  return s;
}

}  // namespace

const char* cpu_capability_name(CpuCapability level) {
  switch (level) {
    case CpuCapability::Baseline: return "baseline";
    case CpuCapability::Avx2: return "avx2";
    case CpuCapability::Avx512: return "avx512";
    case CpuCapability::Native: return "native";
  }
  return "unknown";
}

bool cpu_capability_built(CpuCapability level) {
  switch (level) {
#ifdef CUDANET_CPU_BUILT_BASELINE
    case CpuCapability::Baseline: return true;
#endif
#ifdef CUDANET_CPU_BUILT_AVX2
    case CpuCapability::Avx2: return true;
#endif
#ifdef CUDANET_CPU_BUILT_AVX512
    case CpuCapability::Avx512: return true;
#endif
#ifdef CUDANET_CPU_BUILT_NATIVE
    case CpuCapability::Native: return true;
#endif
    default: return false;
  }
}

CpuCapability cpu_capability_supported() {
#if defined(__x86_64__) || defined(__i386__)
  // libgcc's answer also checks that the OS saves the AVX and AVX-512
  // registers (XGETBV), not only the CPUID bits.
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return avx512 ? CpuCapability::Avx512 : avx2 ? CpuCapability::Avx2 : CpuCapability::Baseline;
#else
  return CpuCapability::Baseline;
#endif
}

CpuCapability choose_cpu_capability(const char* requested, CpuCapability supported) {
  if (requested == nullptr || *requested == '\0') {
    if (cpu_capability_built(CpuCapability::Native)) return CpuCapability::Native;
    CpuCapability best = CpuCapability::Baseline;
    for (CpuCapability c : {CpuCapability::Avx2, CpuCapability::Avx512})
      if (c <= supported && cpu_capability_built(c)) best = c;
    return best;
  }
  const CpuCapability* level = nullptr;
  for (const CpuCapability& c : kLevels)
    if (std::strcmp(requested, cpu_capability_name(c)) == 0) level = &c;
  CUDANET_CHECK(level != nullptr, kVariable, "=", requested, ": no such level; use baseline, avx2 or avx512 (this ",
                "processor supports ", up_to(supported), "; this build has ", built_list(), ")");
  CUDANET_CHECK(*level == CpuCapability::Native || *level <= supported, kVariable, "=", requested,
                ": this processor does not support it (it supports ", up_to(supported), ")");
  CUDANET_CHECK(cpu_capability_built(*level), kVariable, "=", requested, ": this build has no ", requested,
                " kernels (it has ", built_list(), "; this processor supports ", up_to(supported), ")");
  return *level;
}

CpuCapability active_cpu_capability() {
  // A throw leaves the static unset: the next call reports the same error.
  static const CpuCapability level = choose_cpu_capability(std::getenv(kVariable), cpu_capability_supported());
  return level;
}

const char* cpu_capability() { return cpu_capability_name(active_cpu_capability()); }

}  // namespace cudanet
