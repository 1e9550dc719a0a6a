#pragma once
// Communicator: collectives over tensors between the processes of one job,
// one process per device, started by mpirun.
//
// CPU tensors and host values travel over MPI; CUDA tensors over NCCL, whose
// communicator is bootstrapped by broadcasting rank 0's ncclUniqueId over MPI
// (as nccl-tests and Horovod do) the first time a CUDA tensor is reduced. The
// NCCL calls are queued on the device's compute stream: the host does not wait
// for them, and the ops that follow are ordered after them.
//
// Faults. A rank that dies makes mpirun stop every other rank and print which
// one it was. A rank that stops on an error leaves without MPI_Finalize (see
// fail()), which mpirun treats the same way. A collective that a live peer
// never joins throws after CommunicatorOptions::timeout_seconds, naming the
// rank and the collective. So no rank waits forever for another.
//
// A build without MPI (or, for CUDA tensors, without NCCL) compiles this API;
// Communicator::init then throws one line saying what is missing.
#include <memory>
#include <string>

#include "core/device.h"
#include "core/tensor.h"

namespace cudanet {

enum class ReduceOp { Sum, Mean };

struct CommunicatorOptions {
  // A collective still incomplete after this long throws (a peer hangs, or it
  // took another path). PyTorch's default; raise it for ranks that may wait
  // longer at a barrier, e.g. for rank 0 writing a large checkpoint.
  double timeout_seconds = 1800;
};

// True when the library was built with MPI, i.e. Communicator::init can work.
bool distributed_available();
// What is missing, in one line ("cudanet was built without MPI ..."), or "".
std::string distributed_unavailable_reason();
// The transports built, for logs: "MPI (Open MPI v4.1.4), NCCL 2.28.9".
std::string distributed_backends();

class Communicator {
 public:
  // Joins the job every process of the mpirun invocation belongs to (a
  // process started without mpirun is a world of one). Initialises MPI unless
  // the program already has; MPI stays initialised until the process exits.
  // argc/argv may be null.
  static std::unique_ptr<Communicator> init(int* argc = nullptr, char*** argv = nullptr,
                                            const CommunicatorOptions& options = {});
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const;
  int size() const;
  // Rank and count of the processes on this node (MPI's shared-memory split).
  int local_rank() const;
  int local_size() const;
  // The device of this rank: cuda:(local rank) where CUDA is usable (an error
  // when the node has fewer devices than processes), else the CPU.
  Device local_device() const;
  // "rank 1 of 4 (local 1 of 2)": for logs and errors.
  std::string describe() const;

  // In place, on every rank: the element-wise sum (or mean) of `t` over all
  // ranks. Every rank passes a tensor of the same shape, dtype and device kind;
  // integer tensors take Sum only. All ranks receive identical bits.
  void all_reduce_(const Tensor& t, ReduceOp op = ReduceOp::Sum);
  // In place: rank `root`'s values of `t` on every rank.
  void broadcast_(const Tensor& t, int root = 0);
  // Returns when every rank has called it and this rank's queued collectives
  // on its device have completed.
  void barrier();
  // The logical OR of `flag` over the ranks (host values, over MPI): how ranks
  // agree on a stop that one of them saw.
  bool any(bool flag);

  // Declares that this rank stops on an error: the process will leave without
  // MPI_Finalize (which would wait for the other ranks), so that mpirun stops
  // the whole job at once. Call it where the error is reported; fit() calls it
  // when an exception leaves it, and the destructor when it runs during stack
  // unwinding.
  void fail();

 private:
  struct Impl;
  explicit Communicator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cudanet
