#pragma once
// Internal to dist/: the two transports behind Communicator, declared without
// the vendors' headers. MPI's live in mpi_communicator.cpp (built with MPI),
// NCCL's in nccl_communicator.cpp (built in a CUDA build that found NCCL).
#include <cstdint>
#include <memory>
#include <string>

#include "core/dtype.h"

namespace cudanet::dist {

// This process stops on an error: it leaves MPI without MPI_Finalize (a
// collective that would wait for ranks that wait for it) and aborts NCCL
// communicators instead of destroying them, so mpirun stops the job at once.
void mark_process_failed();
bool process_failed();

// A duplicate of MPI_COMM_WORLD with errors returned (they throw, naming the
// rank), over the process-wide MPI environment: initialised by the first
// transport unless the program did, left at exit (finalised when every rank
// gets there in time, see mpi_communicator.cpp).
class MpiTransport {
 public:
  MpiTransport(int* argc, char*** argv, double timeout_seconds);
  ~MpiTransport();
  MpiTransport(const MpiTransport&) = delete;
  MpiTransport& operator=(const MpiTransport&) = delete;

  int rank() const;
  int size() const;
  int local_rank() const;
  int local_size() const;
  // In place over `count` elements of host memory: the sum over the ranks.
  // `what` names the collective in errors.
  void all_reduce(void* data, int64_t count, DType dtype, const char* what);
  void broadcast(void* data, int64_t bytes, int root, const char* what);
  void barrier();
  bool any(bool flag);
  // "Open MPI v4.1.4": callable before MPI is initialised.
  static std::string version();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One NCCL communicator over the ranks of `mpi`, on CUDA device `device`,
// its collectives queued on that device's compute stream.
class NcclTransport {
 public:
  NcclTransport(MpiTransport& mpi, int device);
  ~NcclTransport();
  NcclTransport(const NcclTransport&) = delete;
  NcclTransport& operator=(const NcclTransport&) = delete;

  int device() const;
  void all_reduce(void* data, int64_t count, DType dtype);  // sum, in place
  void broadcast(void* data, int64_t count, DType dtype, int root);
  // Returns when every rank's NCCL work queued so far has completed here.
  void synchronize();
  static std::string version();  // "NCCL 2.28.9"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cudanet::dist
