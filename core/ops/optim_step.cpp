// Entry point of the fused optimizer step: the per-tensor descriptors one
// launch covers, their device copy kept between steps, and the dispatch.
#include <cstring>
#include <type_traits>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/common/optim_step.h"
#include "kernels/cpu/optim_step.h"
#include "kernels/cuda/optim_step.cuh"

namespace cudanet {

static_assert(std::has_unique_object_representations_v<OptimTensorDesc>,
              "optim_step_ compares descriptors as bytes: no padding allowed");

void optim_step_(const std::vector<Tensor>& params, const std::vector<std::vector<Tensor>>& state,
                 const OptimStepParams& p, OptimStepCache& cache, const char* who) {
  CUDANET_CHECK(!params.empty(), who, ": empty parameter list");
  CUDANET_CHECK(state.size() == kOptimSlots, who, ": ", state.size(), " state slots, expected ", kOptimSlots);
  for (const std::vector<Tensor>& slot : state)
    CUDANET_CHECK(slot.empty() || slot.size() == params.size(), who, ": a state slot holds ", slot.size(),
                  " tensors for ", params.size(), " parameters");
  std::vector<OptimTensorDesc> descs;
  int64_t start = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& x = params[i];
    const Tensor g = x.grad();
    if (!g.defined() || x.numel() == 0) continue;
    CUDANET_CHECK(g.shape() == x.shape() && g.dtype() == x.dtype() && g.device() == x.device(), who,
                  ": gradient ", g.describe(), " does not match parameter ", i, " ", x.describe());
    OptimTensorDesc d;
    d.param = x.data_ptr();
    d.grad = g.data_ptr();
    for (int k = 0; k < kOptimSlots; ++k)
      if (!state[k].empty()) d.state[k] = state[k][i].data_ptr();
    d.numel = x.numel();
    d.start = start;
    start += d.numel;
    descs.push_back(d);
  }
  if (descs.empty()) return;
  OptimStepParams q = p;
  q.dtype = params[0].dtype();
  const Device device = params[0].device();
  const size_t bytes = descs.size() * sizeof(OptimTensorDesc);
  if (device.is_cuda() && (cache.descs.size() != bytes || std::memcmp(cache.descs.data(), descs.data(), bytes))) {
    // Once per parameter set (the upload waits for the copy): later steps reuse it.
    cache.descs.resize(bytes);
    std::memcpy(cache.descs.data(), descs.data(), bytes);
    cache.on_device = Tensor::from_vector(cache.descs, Shape{static_cast<int64_t>(bytes)}, device);
  }
  CUDANET_DISPATCH(device, optim_step, descs, cache.on_device, q);
}

}  // namespace cudanet
