// Gradient clipping by global norm: the parameters' gradients through the
// clip_by_global_norm_ op.
#include "optim/clip.h"

#include <cmath>

#include "core/ops.h"

namespace cudanet {

Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  CUDANET_CHECK(std::isfinite(max_norm) && max_norm > 0, "clip_grad_norm_: max_norm must be a finite number > 0, got ",
                max_norm);
  CUDANET_CHECK(!params.empty(), "clip_grad_norm_: empty parameter list");
  std::vector<Tensor> grads;
  for (const Tensor& p : params)
    if (Tensor g = p.grad(); g.defined()) grads.push_back(g);
  if (grads.empty()) return Tensor::zeros(Shape{}, params[0].dtype(), params[0].device());
  return clip_by_global_norm_(grads, max_norm);
}

}  // namespace cudanet
