#include "dist/data_parallel.h"

#include <exception>

#include "core/ops.h"
#include "io/dataset.h"

namespace cudanet {

void broadcast_state(Communicator& comm, Module& model, Optimizer* opt) {
  for (const auto& [name, t] : model.named_parameters()) comm.broadcast_(t, 0);
  for (const auto& [name, t] : model.named_buffers()) comm.broadcast_(t, 0);
  if (!opt) return;
  // state() holds the live slots and a copy of the step count: load_state
  // brings the count in (and copies nothing else onto itself).
  NamedTensors state = opt->state();
  for (const auto& [name, t] : state) comm.broadcast_(t, 0);
  opt->load_state(state);
}

DataParallel::DataParallel(Communicator& comm, Module& model, Optimizer& opt, size_t bucket_bytes)
    : comm_(comm), model_(model), uncaught_(std::uncaught_exceptions()) {
  CUDANET_CHECK(bucket_bytes > 0, "DataParallel: the bucket size must be positive");
  broadcast_state(comm, model, &opt);
  const std::vector<Tensor>& params = opt.params();
  for (size_t first = 0; first < params.size();) {
    const Tensor& p0 = params[first];
    const size_t elem = dtype_size(p0.dtype());
    size_t last = first + 1;
    int64_t n = p0.numel();
    while (last < params.size() && params[last].dtype() == p0.dtype() && params[last].device() == p0.device() &&
           static_cast<size_t>(n + params[last].numel()) * elem <= bucket_bytes)
      n += params[last++].numel();
    Tensor flat = Tensor::zeros({n}, p0.dtype(), p0.device());
    int64_t offset = 0;
    for (size_t i = first; i < last; ++i) {
      Tensor p = params[i];
      Tensor view = rows_view(flat, offset, offset + p.numel()).reshape(p.shape().vec());
      if (p.grad().defined()) view.copy_(p.grad());
      p.set_grad(view);
      offset += p.numel();
    }
    buckets_.push_back(flat);
    first = last;
  }
}

DataParallel::~DataParallel() {
  if (std::uncaught_exceptions() > uncaught_) comm_.fail();
}

void DataParallel::broadcast_buffers() {
  for (const auto& [name, t] : model_.named_buffers()) comm_.broadcast_(t, 0);
}

void DataParallel::reduce_gradients(int64_t rows, int64_t global_rows) {
  CUDANET_CHECK(global_rows > 0 && rows >= 0 && rows <= global_rows, comm_.describe(),
                ": reduce_gradients: ", rows, " rows of a global batch of ", global_rows);
  const double weight = static_cast<double>(rows) / static_cast<double>(global_rows);
  for (const Tensor& b : buckets_) {
    if (weight != 1.0) scale_(b, weight);  // a world of one stays bitwise the plain step
    comm_.all_reduce_(b, ReduceOp::Sum);
  }
}

}  // namespace cudanet
