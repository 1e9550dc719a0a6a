#include "io/prefetch.h"

#include <cstring>

#include "kernels/cpu/parallel.h"
#ifdef CUDANET_WITH_CUDA
#include "core/cuda/context.h"
#endif

namespace cudanet {

#ifdef CUDANET_WITH_CUDA

struct BatchPrefetcher::Impl {
  const Dataset& data;
  int64_t batch = 0;
  size_t x_row = 0;                  // bytes per sample of images
  cuda::Context& ctx;
  void* pinned_x[2] = {}, *pinned_y[2] = {};  // (batch, C, H, W), (batch)
  Tensor x[2], y[2];                 // the device slots
  cudaEvent_t copied[2] = {}, released[2] = {};

  Impl(const Dataset& d, int64_t b, Device dev) : data(d), batch(b), ctx(cuda::context(dev.index)) {
    x_row = d.images.size(0) ? d.images.nbytes() / static_cast<size_t>(d.images.size(0)) : 0;
    Shape xs = d.images.shape(), ys = d.labels.shape();
    xs[0] = b, ys[0] = b;
    for (int s = 0; s < 2; ++s) {
      pinned_x[s] = cuda::pinned_alloc(x_row * static_cast<size_t>(b));
      pinned_y[s] = cuda::pinned_alloc(sizeof(int32_t) * static_cast<size_t>(b));
      x[s] = Tensor::empty(xs, d.images.dtype(), dev);
      y[s] = Tensor::empty(ys, DType::i32, dev);
      CUDANET_CUDA_CHECK(cudaEventCreateWithFlags(&copied[s], cudaEventDisableTiming));
      CUDANET_CUDA_CHECK(cudaEventCreateWithFlags(&released[s], cudaEventDisableTiming));
    }
    // The slots were allocated (and poisoned) on the compute stream; the copy stream must not overtake that.
    CUDANET_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  }

  ~Impl() {
    for (int s = 0; s < 2; ++s) {
      // A copy may still be writing into the slot: finish it before the buffers go.
      if (copied[s]) cudaEventSynchronize(copied[s]);
      if (copied[s]) cudaEventDestroy(copied[s]);
      if (released[s]) cudaEventDestroy(released[s]);
      cuda::pinned_free(pinned_x[s]);
      cuda::pinned_free(pinned_y[s]);
    }
  }
};

BatchPrefetcher::BatchPrefetcher(const Dataset& data, int64_t batch_size, Device device)
    : impl_(std::make_unique<Impl>(data, batch_size, device)) {}

BatchPrefetcher::~BatchPrefetcher() = default;

void BatchPrefetcher::stage(int slot, const int32_t* indices, int64_t rows) {
  Impl& m = *impl_;
  // The pinned slot is rewritten only once its previous copy has left it.
  CUDANET_CUDA_CHECK(cudaEventSynchronize(m.copied[slot]));
  const auto* src_x = static_cast<const char*>(m.data.images.data_ptr());
  const auto* src_y = m.data.labels.data<int32_t>();
  auto* dst_x = static_cast<char*>(m.pinned_x[slot]);
  auto* dst_y = static_cast<int32_t*>(m.pinned_y[slot]);
  const size_t row = m.x_row;
#pragma omp parallel for if (rows * static_cast<int64_t>(row) > kParallelGrain)
  for (int64_t i = 0; i < rows; ++i) {
    std::memcpy(dst_x + i * row, src_x + static_cast<size_t>(indices[i]) * row, row);
    dst_y[i] = src_y[indices[i]];
  }
  // The device slot is overwritten only after the compute stream is done with it.
  CUDANET_CUDA_CHECK(cudaStreamWaitEvent(m.ctx.copy_stream, m.released[slot], 0));
  CUDANET_CUDA_CHECK(cudaMemcpyAsync(m.x[slot].data_ptr(), dst_x, row * static_cast<size_t>(rows),
                                     cudaMemcpyHostToDevice, m.ctx.copy_stream));
  CUDANET_CUDA_CHECK(cudaMemcpyAsync(m.y[slot].data_ptr(), dst_y, sizeof(int32_t) * static_cast<size_t>(rows),
                                     cudaMemcpyHostToDevice, m.ctx.copy_stream));
  CUDANET_CUDA_CHECK(cudaEventRecord(m.copied[slot], m.ctx.copy_stream));
}

Batch BatchPrefetcher::acquire(int slot, int64_t rows) {
  Impl& m = *impl_;
  CUDANET_CUDA_CHECK(cudaStreamWaitEvent(m.ctx.stream, m.copied[slot], 0));
  if (rows == m.batch) return {m.x[slot], m.y[slot]};
  return {rows_view(m.x[slot], 0, rows), rows_view(m.y[slot], 0, rows)};
}

void BatchPrefetcher::release(int slot) { CUDANET_CUDA_CHECK(cudaEventRecord(impl_->released[slot], impl_->ctx.stream)); }

#else  // without CUDA there is nothing to prefetch to

struct BatchPrefetcher::Impl {};

BatchPrefetcher::BatchPrefetcher(const Dataset&, int64_t, Device device) {
  CUDANET_FAIL("DataLoader: prefetch to ", device.str(), " but cudanet was built without CUDA");
}
BatchPrefetcher::~BatchPrefetcher() = default;
void BatchPrefetcher::stage(int, const int32_t*, int64_t) {}
Batch BatchPrefetcher::acquire(int, int64_t) { return {}; }
void BatchPrefetcher::release(int) {}

#endif

}  // namespace cudanet
