#pragma once
// DataLoader: batches of a Dataset on a device, in a per-epoch shuffled order
// that depends only on (seed, epoch), so a run can be resumed mid-epoch exactly.
//
// On CUDA the whole dataset normally lives on the device (MNIST as float32 is
// 188 MB) and each batch is gathered there by index_select from the epoch's
// permutation, uploaded once per epoch. Otherwise (device_resident off, or the
// dataset does not fit) batches are gathered on the host into pinned buffers and
// copied on the context's copy stream, one batch ahead: batch i+1 travels while
// batch i trains, and events order the copy with the compute stream.
//
// Batch tensors live in buffers the loader reuses: a batch stays valid until the
// next call to next() after the one that returned it; clone() what must outlive that.
#include <cstdint>
#include <memory>
#include <vector>

#include "core/device.h"
#include "io/dataset.h"

namespace cudanet {

struct LoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true;
  uint64_t seed = 0;
  bool drop_last = false;  // Keras keeps the last partial batch
  Device device = Device::cpu();
  bool device_resident = true;  // CUDA only: the dataset on the device when it fits
  // Data parallelism (dist/data_parallel.h): this loader is rank `rank` of
  // `world`. Batch k of an epoch is then global batch k of world * batch_size
  // samples, split across the ranks: this rank takes positions
  // [k * world * batch_size + rank * batch_size, ... + batch_size) of the
  // epoch's permutation (fewer, or none, in the last partial batch; drop_last
  // drops a partial global batch). The ranks together see every sample of the
  // epoch exactly once, in the batches one process at world * batch_size sees.
  int rank = 0;
  int world = 1;
};

struct Batch {
  Tensor x;  // (B, C, H, W) float32 on the loader's device
  Tensor y;  // (B) int32
  int64_t global_rows = 0;  // rows of this batch over all ranks (B on one process)
};

// The order of samples in epoch `epoch`: a Fisher-Yates shuffle driven by Philox
// counters keyed by `seed`, the same on every machine.
std::vector<int32_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch);

class BatchPrefetcher;

class DataLoader {
 public:
  DataLoader(const Dataset& data, const LoaderOptions& options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  Device device() const { return opt_.device; }
  int64_t size() const { return n_; }
  int64_t num_batches() const;
  // Batches per epoch of `samples` samples under `options`, without building a loader.
  static int64_t num_batches(int64_t samples, const LoaderOptions& options);
  // True when batches are gathered on the device from a device-resident copy.
  bool device_resident() const { return resident_; }

  void start_epoch(int64_t epoch);
  void skip(int64_t batches);  // resume mid-epoch
  // The next batch of the epoch, or false at its end.
  bool next(Batch& batch);

 private:
  int64_t batch_start(int64_t b) const;  // this rank's first position in the permutation
  int64_t batch_rows(int64_t b) const;

  Dataset data_;  // on the CPU; on the device too when resident
  LoaderOptions opt_;
  int64_t n_ = 0;
  bool resident_ = false;
  std::vector<int32_t> order_;  // this epoch's sample order
  Tensor order_t_;              // the same as a tensor on the gather's device
  int64_t pos_ = 0;             // next batch of the epoch
  Batch buf_;                   // full-size batch buffers (resident and CPU modes)
  std::unique_ptr<BatchPrefetcher> prefetch_;  // host-gather mode on CUDA
  int handed_ = -1;             // prefetch slot of the batch last returned
  int staged_ = -1;             // prefetch slot being filled with batch staged_batch_
  int64_t staged_batch_ = -1;
};

}  // namespace cudanet
