#include "io/loader.h"

#include <algorithm>
#include <climits>

#include "core/memory.h"
#include "core/ops.h"
#include "core/random.h"
#include "io/prefetch.h"

namespace cudanet {

namespace {

// Whether a device copy of `bytes` leaves room for training: at most half the free memory.
bool fits_on_device(size_t bytes, Device d) { return bytes <= device_free_memory(d) / 2; }

}  // namespace

std::vector<int32_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch) {
  CUDANET_CHECK(n >= 0 && n <= INT32_MAX && epoch >= 0 && epoch <= UINT32_MAX, "epoch_permutation: ", n,
                " samples, epoch ", epoch, " out of range");
  std::vector<int32_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<int32_t>(i);
  // Counter (epoch, i) gives 64 random bits; scaling by (i + 1) with a 128-bit
  // product picks j in [0, i] with a bias below 2^-32.
  for (int64_t i = n - 1; i > 0; --i) {
    const uint64_t u = random_bits(seed, (static_cast<uint64_t>(epoch) << 32) | static_cast<uint64_t>(i));
    const auto j = static_cast<int64_t>((static_cast<unsigned __int128>(u) * static_cast<uint64_t>(i + 1)) >> 64);
    std::swap(p[i], p[j]);
  }
  return p;
}

DataLoader::DataLoader(const Dataset& data, const LoaderOptions& options) : data_(data), opt_(options) {
  CUDANET_CHECK(opt_.batch_size >= 1, "DataLoader: batch size must be positive, got ", opt_.batch_size);
  CUDANET_CHECK(opt_.world >= 1 && opt_.rank >= 0 && opt_.rank < opt_.world, "DataLoader: rank ", opt_.rank,
                " is not in a world of ", opt_.world);
  CUDANET_CHECK(data.images.defined() && data.labels.defined() && data.images.dim() >= 1 &&
                    data.images.size(0) == data.labels.size(0),
                "DataLoader: images ", data.images.describe(), " and labels ", data.labels.describe(),
                " must have the same number of samples");
  check_dtype(data.labels, DType::i32, "DataLoader", "labels");
  require_device(opt_.device);
  n_ = data.size();
  CUDANET_CHECK(n_ <= INT32_MAX, "DataLoader: ", n_, " samples; int32 indices hold at most ", INT32_MAX);
  data_.images = data.images.device().is_cpu() ? data.images : data.images.to(Device::cpu());
  data_.labels = data.labels.device().is_cpu() ? data.labels : data.labels.to(Device::cpu());

  const int64_t b = std::min<int64_t>(opt_.batch_size, std::max<int64_t>(n_, 1));
  Shape xs = data_.images.shape(), ys = data_.labels.shape();
  xs[0] = b, ys[0] = b;
  if (opt_.device.is_cuda() && !(opt_.device_resident && fits_on_device(data_.images.nbytes(), opt_.device))) {
    prefetch_ = std::make_unique<BatchPrefetcher>(data_, b, opt_.device);
    return;
  }
  resident_ = opt_.device.is_cuda();
  if (resident_) {
    data_.images = data_.images.to(opt_.device);
    data_.labels = data_.labels.to(opt_.device);
  }
  buf_.x = Tensor::empty(xs, data_.images.dtype(), opt_.device);
  buf_.y = Tensor::empty(ys, DType::i32, opt_.device);
  order_t_ = Tensor::empty({n_}, DType::i32, opt_.device);
}

DataLoader::~DataLoader() = default;

int64_t DataLoader::num_batches() const { return num_batches(n_, opt_); }

int64_t DataLoader::num_batches(int64_t samples, const LoaderOptions& options) {
  const int64_t b = options.batch_size * options.world;  // the global batch
  return options.drop_last ? samples / b : (samples + b - 1) / b;
}

int64_t DataLoader::batch_start(int64_t b) const {
  return std::min(n_, (b * opt_.world + opt_.rank) * opt_.batch_size);
}

int64_t DataLoader::batch_rows(int64_t b) const { return std::min(opt_.batch_size, n_ - batch_start(b)); }

void DataLoader::start_epoch(int64_t epoch) {
  if (opt_.shuffle) {
    order_ = epoch_permutation(n_, opt_.seed, epoch);
  } else if (static_cast<int64_t>(order_.size()) != n_) {
    order_.resize(static_cast<size_t>(n_));
    for (int64_t i = 0; i < n_; ++i) order_[i] = static_cast<int32_t>(i);
  }
  // Uploaded on the compute stream: ordered after the gathers of the previous epoch.
  if (order_t_.defined()) copy_bytes(order_t_.data_ptr(), order_t_.device(), order_.data(), Device::cpu(), order_.size() * 4);
  pos_ = 0;
  staged_batch_ = -1;
}

void DataLoader::skip(int64_t batches) {
  CUDANET_CHECK(batches >= 0, "DataLoader::skip: negative count ", batches);
  CUDANET_CHECK(!order_.empty() || n_ == 0, "DataLoader::skip before start_epoch");
  pos_ = std::min(pos_ + batches, num_batches());
}

bool DataLoader::next(Batch& batch) {
  CUDANET_CHECK(static_cast<int64_t>(order_.size()) == n_, "DataLoader::next before start_epoch");
  if (pos_ >= num_batches()) return false;
  const int64_t rows = batch_rows(pos_);
  const int64_t global = opt_.batch_size * opt_.world;
  const int64_t global_rows = std::min(global, n_ - pos_ * global);
  if (prefetch_) {
    // The caller has enqueued all its work on the batch handed out last time.
    if (handed_ >= 0) prefetch_->release(handed_);
    if (staged_batch_ != pos_) {
      staged_ = handed_ >= 0 ? 1 - handed_ : 0;
      prefetch_->stage(staged_, order_.data() + batch_start(pos_), rows);
    }
    batch = prefetch_->acquire(staged_, rows);
    batch.global_rows = global_rows;
    handed_ = staged_;
    staged_batch_ = -1;
    if (++pos_ < num_batches()) {
      staged_ = 1 - handed_;
      staged_batch_ = pos_;
      prefetch_->stage(staged_, order_.data() + batch_start(pos_), batch_rows(pos_));
    }
    return true;
  }
  const bool full = rows == buf_.x.size(0);
  batch.x = full ? buf_.x : rows_view(buf_.x, 0, rows);
  batch.y = full ? buf_.y : rows_view(buf_.y, 0, rows);
  batch.global_rows = global_rows;
  const int64_t start = batch_start(pos_);
  const Tensor index = rows_view(order_t_, start, start + rows);
  // The loader's own permutation of [0, N): no range check, no sync per batch.
  // A rank with no rows of the last batch gathers nothing.
  if (rows > 0) {
    index_select_out(batch.x, data_.images, index, false);
    index_select_out(batch.y, data_.labels, index, false);
  }
  ++pos_;
  return true;
}

}  // namespace cudanet
