#pragma once
// Data parallelism as PyTorch's DistributedDataParallel: what fit() does when
// FitOptions::comm is set.
//
// Every rank holds the whole model. At the start rank 0's parameters, buffers
// and optimizer state are broadcast, so resumed and fresh runs start alike on
// every rank. Each rank then trains on its shard of every global batch (the
// data loader's rank/world options), and after backward the gradients are
// averaged over the global batch by all-reduce, so that every rank takes the
// same optimizer step, the one a single process would take on the whole batch.
//
// The all-reduce starts after backward, not inside it as in PyTorch, which
// starts a bucket's as soon as autograd has produced its last gradient. On
// the CPU, Open MPI advances a non-blocking collective only inside MPI calls
// and the rank's cores are busy with backward's kernels, so a reduction
// started early would make its progress at the end of backward anyway. On
// CUDA the NCCL calls are queued on the compute stream behind backward's
// kernels and the host never waits for them; what is left on the table is the
// overlap of communication with the tail of backward on the GPU, which needs a
// per-leaf "gradient ready" hook in autograd and a side stream with events.
// The reference model (93,322 parameters, 365 KiB) fits one bucket: one
// all-reduce after its last gradient either way.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "dist/communicator.h"
#include "layers/module.h"
#include "optim/optimizer.h"

namespace cudanet {

// PyTorch DDP's default bucket size (bucket_cap_mb = 25).
constexpr size_t kDefaultBucketBytes = size_t{25} << 20;

// Rank 0's parameters and buffers, and the optimizer's state and step count
// when `opt` is given, copied into every rank's.
void broadcast_state(Communicator& comm, Module& model, Optimizer* opt = nullptr);

class DataParallel {
 public:
  // Broadcasts rank 0's state (broadcast_state), then makes the gradient of
  // every parameter of `opt` a view into one of a few flat buffers (buckets of
  // at most `bucket_bytes`, or one parameter where that is larger), kept for
  // the parameters' lifetime: backward accumulates into them in place (as it
  // does into any gradient buffer), and each bucket is reduced in one call
  // without gathering copies.
  DataParallel(Communicator& comm, Module& model, Optimizer& opt, size_t bucket_bytes = kDefaultBucketBytes);
  // When an exception leaves the training loop this rank fails: comm.fail().
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  // After the backward of a batch of which this rank had `rows` of the
  // `global_rows` of all ranks: every gradient becomes the gradient of the
  // mean loss over the global batch. Each rank's gradient (of the mean over
  // its rows) is weighted by rows / global_rows and the weighted gradients are
  // summed over the ranks, so the result equals the single-process mean up to
  // the order of the float additions. Every rank calls it for every batch,
  // also for one where it had no rows: its zero gradient still takes part.
  void reduce_gradients(int64_t rows, int64_t global_rows);
  // Rank 0's buffers (batch-norm running statistics) on every rank. Each rank
  // updates its own from its shard while training (there is no synchronised
  // batch norm); fit() calls this at the end of every epoch, before
  // validation, so that every rank evaluates and holds the model rank 0 saves,
  // as DDP's broadcast_buffers does before each forward.
  void broadcast_buffers();

  Communicator& comm() const { return comm_; }
  size_t num_buckets() const { return buckets_.size(); }

 private:
  Communicator& comm_;
  Module& model_;
  std::vector<Tensor> buckets_;  // flat (n,): one dtype and device each
  int uncaught_ = 0;             // exceptions in flight at construction
};

}  // namespace cudanet
