#include "core/device.h"

#include <cstdlib>

#include "core/error.h"

namespace cudanet {

Device Device::parse(const std::string& spec) {
  if (spec == "cpu") return cpu();
  if (spec == "auto") return cuda_available() ? cuda(0) : cpu();
  if (spec == "cuda") return cuda(0);
  if (spec.rfind("cuda:", 0) == 0 && spec.size() > 5) {
    const std::string num = spec.substr(5);
    char* end = nullptr;
    long idx = std::strtol(num.c_str(), &end, 10);
    if (*end == '\0' && idx >= 0 && idx < 1024) return cuda(static_cast<int>(idx));
  }
  CUDANET_FAIL("unknown device '", spec, "' (expected auto, cpu, cuda or cuda:N)");
}

std::string Device::str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

void require_device(const Device& d) {
  if (d.is_cpu()) return;
  CUDANET_CHECK(cuda_available(), "device ", d.str(), " requested but CUDA is unavailable: ",
                cuda_unavailable_reason());
  CUDANET_CHECK(d.index < cuda_device_count(), "device ", d.str(), " requested but only ",
                cuda_device_count(), " CUDA device(s) are present");
}

#ifndef CUDANET_WITH_CUDA
bool cuda_available() { return false; }
int cuda_device_count() { return 0; }
bool cuda_emulated() { return false; }
std::string cuda_unavailable_reason() { return "cudanet was built without CUDA (CUDANET_WITH_CUDA=OFF)"; }
std::string cuda_device_description(int) { return "none"; }
#endif

}  // namespace cudanet
