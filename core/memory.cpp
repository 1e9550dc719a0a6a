#include "core/memory.h"

#include <cstdio>
#include <cstring>
#include <utility>

#include "core/error.h"

namespace cudanet {

size_t host_available_memory() {
  std::FILE* f = std::fopen("/proc/meminfo", "r");
  if (!f) return 0;
  char line[256];
  unsigned long long kib = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1) break;
  std::fclose(f);
  return static_cast<size_t>(kib) * 1024;
}

}  // namespace cudanet
#ifdef CUDANET_WITH_CUDA
#include "core/cuda/context.h"
#endif

namespace cudanet {

namespace {
// The one CUDA device every destination lives on.
Device upload_device(const std::vector<Tensor>& dsts) {
  CUDANET_CHECK(!dsts.empty(), "UploadSlot: no destination tensors");
  const Device d = dsts[0].defined() ? dsts[0].device() : Device::cpu();
  for (const Tensor& t : dsts)
    CUDANET_CHECK(t.defined() && t.device() == d && d.is_cuda(),
                  "UploadSlot: destinations must share one CUDA device, got ",
                  t.defined() ? t.describe() : "an undefined tensor", " beside one on ", d.str());
  require_device(d);
  return d;
}
}  // namespace

#ifdef CUDANET_WITH_CUDA

size_t device_free_memory(const Device& d) {
  CUDANET_CHECK(d.is_cuda(), "device_free_memory: ", d.str(), " is not a CUDA device");
  cuda::context(d.index);  // makes d current: cudaMemGetInfo asks about the current device
  size_t free_b = 0, total_b = 0;
  CUDANET_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return free_b;
}

namespace {
struct PinnedBuffer {
  void* ptr = nullptr;
  explicit PinnedBuffer(size_t bytes) : ptr(cuda::pinned_alloc(bytes)) {}
  PinnedBuffer(PinnedBuffer&& o) noexcept : ptr(std::exchange(o.ptr, nullptr)) {}
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(PinnedBuffer&&) = delete;
  ~PinnedBuffer() { cuda::pinned_free(ptr); }
};

struct Event {
  cudaEvent_t e = nullptr;
  Event() { CUDANET_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming)); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() {
    if (e) cudaEventDestroy(e);
  }
};
}  // namespace

struct UploadSlot::Impl {
  std::vector<Tensor> dsts;
  cuda::Context& ctx;
  std::vector<PinnedBuffer> host;  // host[i] for dsts[i]
  Event copied, released;

  explicit Impl(std::vector<Tensor> d) : dsts(std::move(d)), ctx(cuda::context(upload_device(dsts).index)) {
    host.reserve(dsts.size());
    for (const Tensor& t : dsts) host.emplace_back(t.nbytes());
    // The destinations were allocated (and poisoned) on the compute stream; the
    // copy stream must not overtake that.
    CUDANET_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  }
  // A copy may still be reading the host buffers: finish it before they go.
  ~Impl() { cudaEventSynchronize(copied.e); }
};

void* UploadSlot::host(size_t i) const { return impl_->host.at(i).ptr; }

void UploadSlot::wait_host() { CUDANET_CUDA_CHECK(cudaEventSynchronize(impl_->copied.e)); }

void UploadSlot::upload(std::span<const size_t> bytes) {
  Impl& m = *impl_;
  CUDANET_CHECK(bytes.size() == m.dsts.size(), "UploadSlot::upload: ", bytes.size(), " sizes for ", m.dsts.size(),
                " destinations");
  CUDANET_CUDA_CHECK(cudaStreamWaitEvent(m.ctx.copy_stream, m.released.e, 0));
  for (size_t i = 0; i < bytes.size(); ++i) {
    CUDANET_CHECK(bytes[i] <= m.dsts[i].nbytes(), "UploadSlot::upload: ", bytes[i], " bytes into ",
                  m.dsts[i].describe());
    CUDANET_CUDA_CHECK(cudaMemcpyAsync(m.dsts[i].data_ptr(), m.host[i].ptr, bytes[i], cudaMemcpyHostToDevice,
                                       m.ctx.copy_stream));
  }
  CUDANET_CUDA_CHECK(cudaEventRecord(m.copied.e, m.ctx.copy_stream));
}

void UploadSlot::acquire() { CUDANET_CUDA_CHECK(cudaStreamWaitEvent(impl_->ctx.stream, impl_->copied.e, 0)); }

void UploadSlot::release() { CUDANET_CUDA_CHECK(cudaEventRecord(impl_->released.e, impl_->ctx.stream)); }

#else  // without CUDA there is no device to ask or upload to

size_t device_free_memory(const Device& d) {
  require_device(d);
  CUDANET_FAIL("device_free_memory: ", d.str(), " is not a CUDA device");
}

struct UploadSlot::Impl {};

void* UploadSlot::host(size_t) const { return nullptr; }
void UploadSlot::wait_host() {}
void UploadSlot::upload(std::span<const size_t>) {}
void UploadSlot::acquire() {}
void UploadSlot::release() {}

#endif

UploadSlot::UploadSlot(std::vector<Tensor> dsts) {
#ifdef CUDANET_WITH_CUDA
  impl_ = std::make_unique<Impl>(std::move(dsts));
#else
  upload_device(dsts);  // throws: a CUDA device is unavailable without CUDA
#endif
}

UploadSlot::~UploadSlot() = default;
UploadSlot::UploadSlot(UploadSlot&&) noexcept = default;
UploadSlot& UploadSlot::operator=(UploadSlot&&) noexcept = default;

}  // namespace cudanet
