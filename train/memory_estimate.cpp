#include "train/memory_estimate.h"

#include "core/error.h"
#include "core/memory.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace cudanet {

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

int64_t mul(int64_t a, int64_t b) { return a != 0 && b > kMax / a ? kMax : a * b; }
int64_t add(int64_t a, int64_t b) { return b > kMax - a ? kMax : a + b; }

}  // namespace

std::string bytes_text(int64_t bytes) {
  char buf[48];
  const double b = static_cast<double>(bytes);
  if (bytes < 1024) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else if (b < 1024.0 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024);
  else if (b < 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
  else std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  return buf;
}

int64_t MemoryEstimate::total() const { return add(add(parameters, optimizer), activations); }

std::string MemoryEstimate::text(int batch_size) const {
  return bytes_text(total()) + " (parameters and gradients " + bytes_text(parameters) + ", optimizer state " +
         bytes_text(optimizer) + ", activations for batch " + std::to_string(batch_size) + " " +
         bytes_text(activations) + ")";
}

int optimizer_slots(const std::string& name) {
  if (name == "adam" || name == "adamw") return 2;  // m and v (amsgrad's max is not a CLI option)
  if (name == "rmsprop") return 3;                  // square average, momentum buffer, centred mean
  return 1;                                         // sgd's momentum buffer
}

MemoryEstimate estimate_training_memory(const ModelSpec& spec, int64_t batch_size, int optimizer_slots) {
  constexpr int64_t kFloat = 4;
  MemoryEstimate e;
  e.parameters = mul(mul(spec.parameters, kFloat), 2);
  e.optimizer = mul(mul(spec.parameters, kFloat), optimizer_slots);
  // Every layer's output is kept for backward and gets a gradient of its size;
  // the input batch once. A convolution's im2col buffer holds C*k*k values per
  // output position (one at a time: the largest).
  int64_t per_sample = spec.input.numel();
  int64_t workspace = 0;
  for (const LayerSpec& l : spec.layers) {
    per_sample = add(per_sample, mul(l.output.numel(), 2));
    if (l.kind == LayerKind::Conv && l.output.ndim() == 3)
      workspace = std::max(workspace, mul(mul(int64_t{l.in} * l.kernel, l.kernel), l.output[1] * l.output[2]));
  }
  e.activations = mul(mul(add(per_sample, workspace), batch_size), kFloat);
  return e;
}

void require_memory(const MemoryEstimate& need, int64_t batch_size, const Device& device, const std::string& what) {
  // Only 90% of what is free is counted on: the estimate leaves out allocator
  // slack, the data loader's buffers and the libraries' own workspaces.
  const size_t free = device.is_cuda() ? device_free_memory(device) : host_available_memory();
  if (free == 0) return;  // the system does not say
  const double usable = 0.9 * static_cast<double>(free);
  CUDANET_CHECK(static_cast<double>(need.total()) <= usable, what, " needs about ", need.text(static_cast<int>(batch_size)),
                " to train, but ", device.is_cuda() ? device.str() + " has " : std::string("the host has "),
                bytes_text(static_cast<int64_t>(free)), device.is_cuda() ? " free" : " available",
                " (try a smaller model or --batch-size)");
}

}  // namespace cudanet
