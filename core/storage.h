#pragma once
// Storage: one owned allocation on one device. Move-only by construction (held
// through shared_ptr by tensors, never copied), frees itself.
#include <cstddef>
#include <memory>

#include "core/device.h"

namespace cudanet {

class Storage {
 public:
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
};

// Tests turn this on so that every new allocation is filled with 0xFF bytes
// (NaN for floats): an op that leaves part of its output unwritten shows up.
void set_poison_allocations(bool on);
bool poison_allocations();

// Copies bytes between any two devices; returns when the copy is complete
// whenever host memory is involved.
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);

}  // namespace cudanet
