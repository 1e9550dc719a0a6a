// The MPI transport: CPU tensors, host flags and NCCL's bootstrap.
//
// Every collective is MPI's non-blocking form completed by polling MPI_Test,
// so that a wait has a deadline (CommunicatorOptions::timeout_seconds): a
// blocking MPI call waits forever for a live peer that never joins. Errors are
// returned (MPI_ERRORS_RETURN on our own duplicate of MPI_COMM_WORLD) and
// thrown as cudanet::Error naming the rank.
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1  // MPI's C API only, without the deprecated C++ bindings
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "core/error.h"
#include "dist/transport.h"

namespace cudanet::dist {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string mpi_error(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int n = 0;
  if (MPI_Error_string(code, text, &n) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<size_t>(n));
}

// Polls `req` until it completes or `timeout` seconds pass; false on timeout.
// Yields between polls (ranks may share cores), and after a second of waiting,
// which means a peer is busy elsewhere, polls once a millisecond.
bool wait_for(MPI_Request& req, double timeout, int& rc) {
  const auto t0 = Clock::now();
  for (unsigned polls = 1;; ++polls) {
    int done = 0;
    rc = MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS || done) return true;
    if (polls % 64 == 0) {
      const double waited = seconds_since(t0);
      if (waited > timeout) return false;
      if (waited > 1.0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::yield();
  }
}

// The process-wide MPI environment: initialised by the first transport unless
// the program already had, and left when the process exits (a static's
// destructor). MPI_Finalize waits for every rank, so it is called only when
// this rank did not fail and every rank reached the end within the timeout;
// otherwise the process leaves without it and mpirun stops the job.
struct MpiEnv {
  bool owned = false;  // we initialised MPI, so we leave it
  MPI_Comm world = MPI_COMM_NULL;
  int rank = 0, size = 1;
  double timeout = 0;

  void start(int* argc, char*** argv, double timeout_seconds) {
    timeout = timeout_seconds;
    if (world != MPI_COMM_NULL) return;
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    CUDANET_CHECK(!finalized, "Communicator: MPI was already finalised in this process");
    if (!initialized) {
      // Only the thread that initialises calls MPI (the CPU kernels' OpenMP
      // threads never do).
      int provided = 0;
      const int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
      CUDANET_CHECK(rc == MPI_SUCCESS, "Communicator: MPI_Init_thread failed: ", mpi_error(rc));
      owned = true;
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &world);
    MPI_Comm_set_errhandler(world, MPI_ERRORS_RETURN);
    MPI_Comm_rank(world, &rank);
    MPI_Comm_size(world, &size);
  }

  ~MpiEnv() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!owned || finalized) return;
    if (size > 1 && process_failed()) {
      std::fprintf(stderr,
                   "cudanet: rank %d of %d stopped on an error: leaving without MPI_Finalize, so that mpirun "
                   "stops the other ranks\n",
                   rank, size);
      return;
    }
    MPI_Request req;
    int rc = MPI_Ibarrier(world, &req);
    if (rc == MPI_SUCCESS && wait_for(req, timeout, rc) && rc == MPI_SUCCESS) {
      MPI_Comm_free(&world);
      MPI_Finalize();
      return;
    }
    std::fprintf(stderr,
                 "cudanet: rank %d of %d: the other ranks did not reach the end of the program within %g s: "
                 "leaving without MPI_Finalize, so that mpirun stops them\n",
                 rank, size, timeout);
  }
};

MpiEnv& env() {
  static MpiEnv e;
  return e;
}

MPI_Datatype mpi_type(DType t) {
  switch (t) {
    case DType::f32: return MPI_FLOAT;
    case DType::f64: return MPI_DOUBLE;
    case DType::i32: return MPI_INT32_T;
    case DType::u8: return MPI_UINT8_T;
  }
  CUDANET_FAIL("MPI: no MPI type for dtype ", static_cast<int>(t));
}

// MPI counts are int: larger buffers go in pieces of at most this many elements.
constexpr int64_t kMaxChunk = 1 << 30;

}  // namespace

struct MpiTransport::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, size = 1, local_rank = 0, local_size = 1;
  double timeout = 0;

  std::string who() const { return "rank " + std::to_string(rank) + " of " + std::to_string(size); }

  void check(int rc, const char* what) const {
    if (rc == MPI_SUCCESS) return;
    mark_process_failed();
    CUDANET_FAIL(who(), ": MPI ", what, " failed: ", mpi_error(rc));
  }

  void wait(MPI_Request& req, const char* what) const {
    int rc = MPI_SUCCESS;
    if (!wait_for(req, timeout, rc)) {
      mark_process_failed();
      CUDANET_FAIL(who(), ": the ", what, " did not complete within ", timeout,
                   " s: another rank stopped taking part (it is stuck, or took another path)");
    }
    check(rc, what);
  }
};

MpiTransport::MpiTransport(int* argc, char*** argv, double timeout_seconds) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  env().start(argc, argv, timeout_seconds);
  m.timeout = timeout_seconds;
  int rc = MPI_Comm_dup(MPI_COMM_WORLD, &m.comm);
  CUDANET_CHECK(rc == MPI_SUCCESS, "Communicator: MPI_Comm_dup failed: ", mpi_error(rc));
  MPI_Comm_set_errhandler(m.comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(m.comm, &m.rank);
  MPI_Comm_size(m.comm, &m.size);
  // The processes that share this node's memory, ranked: one device each.
  MPI_Comm node;
  m.check(MPI_Comm_split_type(m.comm, MPI_COMM_TYPE_SHARED, m.rank, MPI_INFO_NULL, &node), "node split");
  MPI_Comm_rank(node, &m.local_rank);
  MPI_Comm_size(node, &m.local_size);
  MPI_Comm_free(&node);
}

MpiTransport::~MpiTransport() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  // Freeing a communicator is collective; a failing rank leaves it to the exit.
  if (!finalized && !process_failed() && impl_->comm != MPI_COMM_NULL) MPI_Comm_free(&impl_->comm);
}

int MpiTransport::rank() const { return impl_->rank; }
int MpiTransport::size() const { return impl_->size; }
int MpiTransport::local_rank() const { return impl_->local_rank; }
int MpiTransport::local_size() const { return impl_->local_size; }

void MpiTransport::all_reduce(void* data, int64_t count, DType dtype, const char* what) {
  const Impl& m = *impl_;
  auto* p = static_cast<char*>(data);
  for (int64_t done = 0; done < count;) {
    const int n = static_cast<int>(std::min(count - done, kMaxChunk));
    MPI_Request req;
    m.check(MPI_Iallreduce(MPI_IN_PLACE, p + done * static_cast<int64_t>(dtype_size(dtype)), n, mpi_type(dtype),
                           MPI_SUM, m.comm, &req),
            what);
    m.wait(req, what);
    done += n;
  }
}

void MpiTransport::broadcast(void* data, int64_t bytes, int root, const char* what) {
  const Impl& m = *impl_;
  auto* p = static_cast<char*>(data);
  for (int64_t done = 0; done < bytes;) {
    const int n = static_cast<int>(std::min(bytes - done, kMaxChunk));
    MPI_Request req;
    m.check(MPI_Ibcast(p + done, n, MPI_BYTE, root, m.comm, &req), what);
    m.wait(req, what);
    done += n;
  }
}

void MpiTransport::barrier() {
  const Impl& m = *impl_;
  MPI_Request req;
  m.check(MPI_Ibarrier(m.comm, &req), "barrier");
  m.wait(req, "barrier");
}

bool MpiTransport::any(bool flag) {
  const Impl& m = *impl_;
  int v = flag ? 1 : 0;
  MPI_Request req;
  m.check(MPI_Iallreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LOR, m.comm, &req), "agreement on a flag");
  m.wait(req, "agreement on a flag");
  return v != 0;
}

std::string MpiTransport::version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int n = 0;
  MPI_Get_library_version(text, &n);
  std::string s(text, static_cast<size_t>(n));
  const size_t cut = s.find_first_of(",\n");  // "Open MPI v4.1.4, package: ..."
  return cut == std::string::npos ? s : s.substr(0, cut);
}

}  // namespace cudanet::dist
