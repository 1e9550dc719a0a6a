#include "io/dataset.h"

#include <cmath>
#include <memory>

namespace cudanet {

Tensor rows_view(const Tensor& t, int64_t begin, int64_t end) {
  CUDANET_CHECK(t.dim() >= 1 && 0 <= begin && begin <= end && end <= t.size(0), "rows [", begin, ", ", end,
                ") out of range for tensor ", t.describe());
  auto impl = std::make_shared<TensorImpl>();
  const TensorImpl& src = t.impl();
  impl->storage = src.storage;
  impl->dtype = src.dtype;
  impl->shape = src.shape;
  impl->shape[0] = end - begin;
  const int64_t row = t.size(0) == 0 ? 0 : t.numel() / t.size(0);
  impl->offset = src.offset + begin * row;
  return Tensor(std::move(impl));
}

Dataset Dataset::slice(int64_t begin, int64_t end) const {
  Dataset d = *this;
  d.images = rows_view(images, begin, end);
  d.labels = rows_view(labels, begin, end);
  return d;
}

TrainValSplit split_last(const Dataset& d, double fraction) {
  CUDANET_CHECK(fraction >= 0.0 && fraction < 1.0, "validation split ", fraction, " must be in [0, 1)");
  const int64_t n = d.size();
  const auto split_at = static_cast<int64_t>(std::floor(static_cast<double>(n) * (1.0 - fraction)));
  // Keras refuses a split that leaves either side empty.
  CUDANET_CHECK(split_at > 0 && (fraction == 0.0 || split_at < n), "validation split ", fraction, " of ", n,
                " samples leaves ", split_at == 0 ? "no training" : "no validation", " samples");
  return {d.slice(0, split_at), d.slice(split_at, n)};
}

}  // namespace cudanet
