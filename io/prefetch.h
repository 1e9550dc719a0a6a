#pragma once
// Host-to-device batch prefetch for the DataLoader (internal): two device slots,
// each filled from pinned host buffers by an UploadSlot (core/memory.h).
// stage() gathers rows into a slot's host buffers and starts their copy on the
// copy stream; acquire() makes the compute stream wait for that copy; release()
// marks the compute stream's use of a slot as finished, so the next copy into
// that slot waits for it.
#include <cstdint>
#include <memory>

#include "io/loader.h"

namespace cudanet {

class BatchPrefetcher {
 public:
  BatchPrefetcher(const Dataset& data, int64_t batch_size, Device device);
  ~BatchPrefetcher();

  void stage(int slot, const int32_t* indices, int64_t rows);
  Batch acquire(int slot, int64_t rows);
  void release(int slot);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cudanet
