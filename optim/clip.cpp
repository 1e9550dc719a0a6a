// Entry point of gradient clipping by global norm.
#include "optim/clip.h"

#include <cmath>

#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/clip_grad_norm.h"
#include "kernels/cuda/clip_grad_norm.cuh"

namespace cudanet {

Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  CUDANET_CHECK(std::isfinite(max_norm) && max_norm > 0, "clip_grad_norm_: max_norm must be a finite number > 0, got ",
                max_norm);
  CUDANET_CHECK(!params.empty(), "clip_grad_norm_: empty parameter list");
  std::vector<Tensor> grads;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    check_floating(g, "clip_grad_norm_");
    if (!grads.empty()) {
      check_same_dtype(grads[0], g, "clip_grad_norm_");
      check_same_device(grads[0], g, "clip_grad_norm_");
    }
    if (g.numel() > 0) grads.push_back(g);
  }
  const Tensor& like = grads.empty() ? params[0] : grads[0];
  Tensor norm = Tensor::empty(Shape{}, like.dtype(), like.device());
  if (grads.empty()) {
    fill_(norm, 0.0);
    return norm;
  }
  ClipGradNormParams p;
  p.max_norm = max_norm;
  CUDANET_DISPATCH(norm.device(), clip_grad_norm, norm, grads, p);
  return norm;
}

}  // namespace cudanet
