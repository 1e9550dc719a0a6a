#include "apps/bench/dist_timing.h"

#include <chrono>

#ifdef CUDANET_WITH_CUDA
#include "apps/bench/cuda_timing.h"
#endif

namespace cudanet::bench {

std::string dist_skip_reason(const Options& o, bool cuda) {
  if (!o.comm) return o.comm_unavailable;
  Communicator& comm = *o.comm;
  if (!cuda) return comm.size() < 2 ? "needs mpirun -np 2 or more (a world of one has nothing to reduce)" : "";
  // Every rank of a node sees the same devices, so every rank gives the same answer.
  std::string why;
  if (!cuda_available()) {
    why = "no GPU: " + cuda_unavailable_reason();
  } else {
#if !CUDANET_WITH_NCCL
    why = "cudanet was built without NCCL: the communicator refuses CUDA tensors";
#else
    if (cuda_device_count() < comm.local_size())
      why = "this node runs " + std::to_string(comm.local_size()) + " ranks but has " +
            std::to_string(cuda_device_count()) + " CUDA device(s): one rank per device";
#endif
  }
  // Nodes may differ; a skip on any rank is a skip on every rank.
  if (comm.any(!why.empty()) && why.empty()) why = "another rank cannot run it (see its node's devices)";
  return why;
}

double window_ms(Device dev, const std::function<void()>& fn) {
#ifdef CUDANET_WITH_CUDA
  if (dev.is_cuda()) return cuda_window_ms(fn, dev.index);
#else
  (void)dev;
#endif
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

int agreed_runs(Communicator& comm, double run_ms, const Options& o) {
  Tensor n = Tensor::from_vector<int32_t>({planned_runs(run_ms, o)}, Shape{1});
  comm.broadcast_(n, 0);
  return n.to_vector<int32_t>()[0];
}

std::vector<double> rank_mean(Communicator& comm, const std::vector<double>& ms) {
  if (ms.empty()) return ms;
  Tensor t = Tensor::from_vector<double>(ms, Shape{static_cast<int64_t>(ms.size())});
  comm.all_reduce_(t, ReduceOp::Mean);
  return t.to_vector<double>();
}

}  // namespace cudanet::bench
