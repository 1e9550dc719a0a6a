#pragma once
// Where a tensor lives, and whether a CUDA device can be used at all.
#include <string>

namespace cudanet {

enum class DeviceType : unsigned char { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  // "cpu", "cuda", "cuda:N"; "auto" picks cuda:0 when a device is usable.
  static Device parse(const std::string& spec);

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  std::string str() const;
  bool operator==(const Device& o) const { return type == o.type && (is_cpu() || index == o.index); }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

// True when the library was built with CUDA and a driver and device are present.
bool cuda_available();
int cuda_device_count();
// True in the CUDANET_CUDA_EMULATION build, where the "cuda" device is emulated
// on the host (docs/emulator.md): the hand-written kernels run, checked, and
// cuBLAS/cuDNN are unavailable, so Auto picks the native kernels.
bool cuda_emulated();
// Why CUDA cannot be used, in words ("built without CUDA", "no NVIDIA driver ...").
std::string cuda_unavailable_reason();
// Name, memory and compute capability of a device, for logs.
std::string cuda_device_description(int index);
// Throws a clear Error unless `d` can be used.
void require_device(const Device& d);

}  // namespace cudanet
