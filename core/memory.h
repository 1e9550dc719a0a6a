#pragma once
// Memory beyond Tensor that a data pipeline needs: how much a device has free,
// and page-locked host buffers uploaded on the device's copy stream while its
// compute stream works (the data loader's prefetch). In every build; without
// CUDA, asking for a CUDA device throws as require_device does.
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"

namespace cudanet {

// Bytes free on CUDA device `d` now.
size_t device_free_memory(const Device& d);
// Bytes the host can give a new allocation without swapping (Linux's
// MemAvailable); 0 when the system does not say.
size_t host_available_memory();

// One slot of a double-buffered upload: a page-locked host buffer for each
// destination tensor, copied into it on the device's copy stream, so batch i+1
// travels while batch i trains. Events order the copy against the compute
// stream; nothing here makes the host wait except wait_host(). Move-only.
class UploadSlot {
 public:
  // dsts: tensors on one CUDA device, each given a host buffer of its size.
  // Waits once for the compute stream, which may still be initialising them.
  explicit UploadSlot(std::vector<Tensor> dsts);
  ~UploadSlot();  // waits for a copy still in flight
  UploadSlot(UploadSlot&&) noexcept;
  UploadSlot& operator=(UploadSlot&&) noexcept;

  // Host buffer i, dsts[i].nbytes() long. Call wait_host() before rewriting it.
  void* host(size_t i) const;
  // Blocks the host until the last upload has left the host buffers.
  void wait_host();
  // Copies the first bytes[i] of host buffer i into dsts[i] on the copy stream,
  // after the compute stream's work up to the last release().
  void upload(std::span<const size_t> bytes);
  // Compute-stream work queued from now on sees the uploaded data.
  void acquire();
  // The compute stream's work queued so far is the last to read dsts before
  // the next upload overwrites them.
  void release();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cudanet
