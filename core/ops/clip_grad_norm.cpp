// Entry point of clipping by global norm (the op behind clip_grad_norm_).
#include <cmath>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/clip_grad_norm.h"
#include "kernels/cuda/clip_grad_norm.cuh"

namespace cudanet {

Tensor clip_by_global_norm_(const std::vector<Tensor>& grads, double max_norm) {
  CUDANET_CHECK(std::isfinite(max_norm) && max_norm > 0,
                "clip_by_global_norm_: max_norm must be a finite number > 0, got ", max_norm);
  CUDANET_CHECK(!grads.empty(), "clip_by_global_norm_: empty tensor list");
  std::vector<Tensor> nonempty;
  for (const Tensor& g : grads) {
    CUDANET_CHECK(g.defined(), "clip_by_global_norm_: undefined tensor");
    check_floating(g, "clip_by_global_norm_");
    if (!nonempty.empty()) {
      check_same_dtype(nonempty[0], g, "clip_by_global_norm_");
      check_same_device(nonempty[0], g, "clip_by_global_norm_");
    }
    if (g.numel() > 0) nonempty.push_back(g);
  }
  const Tensor& like = nonempty.empty() ? grads[0] : nonempty[0];
  Tensor norm = Tensor::empty(Shape{}, like.dtype(), like.device());
  if (nonempty.empty()) {
    fill_(norm, 0.0);
    return norm;
  }
  ClipGradNormParams p;
  p.max_norm = max_norm;
  CUDANET_DISPATCH(norm.device(), clip_grad_norm, norm, nonempty, p);
  return norm;
}

}  // namespace cudanet
