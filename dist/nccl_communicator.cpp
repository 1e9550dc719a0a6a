// The NCCL transport: CUDA tensors, one device per process. Built only in a
// CUDA build that found NCCL (never on the emulated device). Like the cuBLAS
// and cuDNN wrappers it reaches core/cuda/ for the device's compute stream, so
// the collectives are ordered with the kernels around them without a host wait.
//
// No deadline here: NCCL's kernels wait on the device, and a peer that dies is
// stopped, with everyone else, by mpirun (dist/communicator.h).
#include <nccl.h>

#include "core/cuda/context.h"
#include "dist/transport.h"

#define CUDANET_NCCL_CHECK(expr)                                                                   \
  do {                                                                                             \
    ncclResult_t _r = (expr);                                                                      \
    if (_r != ncclSuccess) {                                                                       \
      ::cudanet::dist::mark_process_failed();                                                      \
      CUDANET_FAIL("NCCL: ", #expr, " failed: ", ncclGetErrorString(_r));                          \
    }                                                                                              \
  } while (0)

namespace cudanet::dist {

namespace {

ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::f32: return ncclFloat32;
    case DType::f64: return ncclFloat64;
    case DType::i32: return ncclInt32;
    case DType::u8: return ncclUint8;
  }
  CUDANET_FAIL("NCCL: no NCCL type for dtype ", static_cast<int>(t));
}

}  // namespace

struct NcclTransport::Impl {
  ncclComm_t comm = nullptr;
  int device = 0;
  float* scratch = nullptr;  // (1,): the operand of synchronize()'s all-reduce
};

NcclTransport::NcclTransport(MpiTransport& mpi, int device) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.device = device;
  cuda::context(device);  // makes the device current for NCCL's setup
  // Rank 0 makes the id, MPI carries it to the others (nccl-tests, Horovod).
  ncclUniqueId id{};
  if (mpi.rank() == 0) CUDANET_NCCL_CHECK(ncclGetUniqueId(&id));
  mpi.broadcast(&id, sizeof id, 0, "broadcast of NCCL's unique id");
  CUDANET_NCCL_CHECK(ncclCommInitRank(&m.comm, mpi.size(), id, mpi.rank()));
  m.scratch = static_cast<float*>(cuda::device_alloc(sizeof(float), device));
  CUDANET_CUDA_CHECK(cudaMemsetAsync(m.scratch, 0, sizeof(float), cuda::context(device).stream));
}

NcclTransport::~NcclTransport() {
  Impl& m = *impl_;
  if (m.scratch) cuda::device_free(m.scratch, m.device);
  // Destroying waits for the communicator's work, which a failed peer never
  // completes: a failing rank aborts it instead.
  if (m.comm && process_failed()) ncclCommAbort(m.comm);
  else if (m.comm) ncclCommDestroy(m.comm);
}

int NcclTransport::device() const { return impl_->device; }

void NcclTransport::all_reduce(void* data, int64_t count, DType dtype) {
  const Impl& m = *impl_;
  cudaStream_t stream = cuda::context(m.device).stream;
  CUDANET_NCCL_CHECK(ncclAllReduce(data, data, static_cast<size_t>(count), nccl_type(dtype), ncclSum, m.comm, stream));
}

void NcclTransport::broadcast(void* data, int64_t count, DType dtype, int root) {
  const Impl& m = *impl_;
  cudaStream_t stream = cuda::context(m.device).stream;
  CUDANET_NCCL_CHECK(ncclBroadcast(data, data, static_cast<size_t>(count), nccl_type(dtype), root, m.comm, stream));
}

void NcclTransport::synchronize() {
  const Impl& m = *impl_;
  cudaStream_t stream = cuda::context(m.device).stream;
  CUDANET_NCCL_CHECK(ncclAllReduce(m.scratch, m.scratch, 1, ncclFloat32, ncclSum, m.comm, stream));
  CUDANET_CUDA_CHECK(cudaStreamSynchronize(stream));
}

std::string NcclTransport::version() {
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "NCCL (version unknown)";
  // NCCL_VERSION(X, Y, Z) is X * 10000 + Y * 100 + Z since 2.9.
  return "NCCL " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

}  // namespace cudanet::dist
