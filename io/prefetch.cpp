#include "io/prefetch.h"

#include <cstring>
#include <vector>

#include "core/memory.h"
#include "core/threads.h"

namespace cudanet {

struct BatchPrefetcher::Impl {
  const Dataset& data;
  int64_t batch = 0;
  size_t x_row = 0;               // bytes per sample of images
  Tensor x[2], y[2];              // the device slots: (batch, C, H, W), (batch)
  std::vector<UploadSlot> slots;  // slots[s]: pinned host copies of x[s] and y[s]

  Impl(const Dataset& d, int64_t b, Device dev) : data(d), batch(b) {
    require_device(dev);
    x_row = d.images.size(0) ? d.images.nbytes() / static_cast<size_t>(d.images.size(0)) : 0;
    Shape xs = d.images.shape(), ys = d.labels.shape();
    xs[0] = b, ys[0] = b;
    for (int s = 0; s < 2; ++s) {
      x[s] = Tensor::empty(xs, d.images.dtype(), dev);
      y[s] = Tensor::empty(ys, DType::i32, dev);
      slots.emplace_back(std::vector<Tensor>{x[s], y[s]});
    }
  }
};

BatchPrefetcher::BatchPrefetcher(const Dataset& data, int64_t batch_size, Device device)
    : impl_(std::make_unique<Impl>(data, batch_size, device)) {}

BatchPrefetcher::~BatchPrefetcher() = default;

void BatchPrefetcher::stage(int slot, const int32_t* indices, int64_t rows) {
  Impl& m = *impl_;
  UploadSlot& up = m.slots[slot];
  // The pinned slot is rewritten only once its previous copy has left it.
  up.wait_host();
  const auto* src_x = static_cast<const char*>(m.data.images.data_ptr());
  const auto* src_y = m.data.labels.data<int32_t>();
  auto* dst_x = static_cast<char*>(up.host(0));
  auto* dst_y = static_cast<int32_t*>(up.host(1));
  const size_t row = m.x_row;
#pragma omp parallel for if (rows * static_cast<int64_t>(row) > kParallelGrain)
  for (int64_t i = 0; i < rows; ++i) {
    std::memcpy(dst_x + i * row, src_x + static_cast<size_t>(indices[i]) * row, row);
    dst_y[i] = src_y[indices[i]];
  }
  // The device slot is overwritten only after the compute stream is done with it.
  const size_t bytes[] = {row * static_cast<size_t>(rows), sizeof(int32_t) * static_cast<size_t>(rows)};
  up.upload(bytes);
}

Batch BatchPrefetcher::acquire(int slot, int64_t rows) {
  Impl& m = *impl_;
  m.slots[slot].acquire();
  if (rows == m.batch) return {m.x[slot], m.y[slot]};
  return {rows_view(m.x[slot], 0, rows), rows_view(m.y[slot], 0, rows)};
}

void BatchPrefetcher::release(int slot) { impl_->slots[slot].release(); }

}  // namespace cudanet
