#include "dist/communicator.h"

#include <atomic>
#include <exception>

#include "core/ops.h"
#include "dist/transport.h"

namespace cudanet {

namespace dist {

namespace {
std::atomic<bool> g_failed{false};
}  // namespace

void mark_process_failed() { g_failed = true; }
bool process_failed() { return g_failed; }

}  // namespace dist

bool distributed_available() {
#if CUDANET_WITH_MPI
  return true;
#else
  return false;
#endif
}

std::string distributed_unavailable_reason() {
  if (distributed_available()) return "";
  return "distributed training is not built: cudanet was built without MPI (install libopenmpi-dev and "
         "openmpi-bin, then configure again)";
}

std::string distributed_backends() {
#if CUDANET_WITH_MPI
  std::string s = "MPI (" + dist::MpiTransport::version() + ")";
#if CUDANET_WITH_NCCL
  s += ", " + dist::NcclTransport::version();
#else
  s += ", no NCCL (CUDA tensors are refused)";
#endif
  return s;
#else
  return "none (" + distributed_unavailable_reason() + ")";
#endif
}

struct Communicator::Impl {
#if CUDANET_WITH_MPI
  std::unique_ptr<dist::MpiTransport> mpi;
#endif
#if CUDANET_WITH_NCCL
  std::unique_ptr<dist::NcclTransport> nccl;  // with the first CUDA tensor; destroyed before mpi

  dist::NcclTransport& nccl_for(const Tensor& t, const std::string& who) {
    if (!nccl) nccl = std::make_unique<dist::NcclTransport>(*mpi, t.device().index);
    CUDANET_CHECK(nccl->device() == t.device().index, who, ": tensor ", t.describe(),
                  " is not on this rank's device cuda:", nccl->device(), " (one device per process)");
    return *nccl;
  }
#endif
};

Communicator::Communicator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Communicator::~Communicator() {
  // Destroyed while an exception unwinds: this rank stops on an error.
  if (std::uncaught_exceptions() > 0) fail();
}

std::unique_ptr<Communicator> Communicator::init(int* argc, char*** argv, const CommunicatorOptions& options) {
  CUDANET_CHECK(options.timeout_seconds > 0, "Communicator: the timeout must be positive, got ",
                options.timeout_seconds, " s");
#if CUDANET_WITH_MPI
  auto impl = std::make_unique<Impl>();
  impl->mpi = std::make_unique<dist::MpiTransport>(argc, argv, options.timeout_seconds);
  return std::unique_ptr<Communicator>(new Communicator(std::move(impl)));
#else
  (void)argc, (void)argv;
  CUDANET_FAIL(distributed_unavailable_reason());
#endif
}

void Communicator::fail() { dist::mark_process_failed(); }

#if CUDANET_WITH_MPI

int Communicator::rank() const { return impl_->mpi->rank(); }
int Communicator::size() const { return impl_->mpi->size(); }
int Communicator::local_rank() const { return impl_->mpi->local_rank(); }
int Communicator::local_size() const { return impl_->mpi->local_size(); }

#if !CUDANET_WITH_NCCL
namespace {

[[noreturn]] void refuse_cuda(const Tensor& t, const std::string& who) {
  CUDANET_FAIL(who, ": CUDA tensor ", t.describe(), ": cudanet was built without NCCL",
               cuda_emulated() ? " (the emulated CUDA device has none)"
                               : " (it comes with the CUDA toolkit; configure again where it is found)");
}

}  // namespace
#endif

void Communicator::all_reduce_(const Tensor& t, ReduceOp op) {
  CUDANET_CHECK(op == ReduceOp::Sum || is_floating(t.dtype()), describe(), ": all_reduce_: the mean of ",
                t.describe(), " is not defined; integer tensors take ReduceOp::Sum");
  if (t.numel() == 0) return;
  if (t.device().is_cuda()) {
#if CUDANET_WITH_NCCL
    impl_->nccl_for(t, describe() + ": all_reduce_").all_reduce(t.data_ptr(), t.numel(), t.dtype());
#else
    refuse_cuda(t, describe() + ": all_reduce_");
#endif
  } else {
    impl_->mpi->all_reduce(t.data_ptr(), t.numel(), t.dtype(), "all-reduce");
  }
  if (op == ReduceOp::Mean && size() > 1) scale_(t, 1.0 / size());
}

void Communicator::broadcast_(const Tensor& t, int root) {
  CUDANET_CHECK(root >= 0 && root < size(), describe(), ": broadcast_ from rank ", root, ", which is not in the job");
  if (t.numel() == 0) return;
  if (t.device().is_cuda()) {
#if CUDANET_WITH_NCCL
    impl_->nccl_for(t, describe() + ": broadcast_").broadcast(t.data_ptr(), t.numel(), t.dtype(), root);
#else
    refuse_cuda(t, describe() + ": broadcast_");
#endif
  } else {
    impl_->mpi->broadcast(t.data_ptr(), static_cast<int64_t>(t.nbytes()), root, "broadcast");
  }
}

void Communicator::barrier() {
#if CUDANET_WITH_NCCL
  if (impl_->nccl) impl_->nccl->synchronize();
#endif
  impl_->mpi->barrier();
}

bool Communicator::any(bool flag) { return impl_->mpi->any(flag); }

Device Communicator::local_device() const {
  if (!cuda_available()) return Device::cpu();
  const int n = cuda_device_count();
  CUDANET_CHECK(local_rank() < n, describe(), ": this node runs ", local_size(), " processes but has ", n,
                " CUDA device(s): start one process per device");
  return Device::cuda(local_rank());
}

std::string Communicator::describe() const {
  return "rank " + std::to_string(rank()) + " of " + std::to_string(size()) + " (local " +
         std::to_string(local_rank()) + " of " + std::to_string(local_size()) + ")";
}

#else  // no MPI: init() throws, so none of these can be reached through an object

int Communicator::rank() const { return 0; }
int Communicator::size() const { return 1; }
int Communicator::local_rank() const { return 0; }
int Communicator::local_size() const { return 1; }
void Communicator::all_reduce_(const Tensor&, ReduceOp) { CUDANET_FAIL(distributed_unavailable_reason()); }
void Communicator::broadcast_(const Tensor&, int) { CUDANET_FAIL(distributed_unavailable_reason()); }
void Communicator::barrier() { CUDANET_FAIL(distributed_unavailable_reason()); }
bool Communicator::any(bool) { CUDANET_FAIL(distributed_unavailable_reason()); }
Device Communicator::local_device() const { return Device::cpu(); }
std::string Communicator::describe() const { return "rank 0 of 1"; }

#endif

}  // namespace cudanet
