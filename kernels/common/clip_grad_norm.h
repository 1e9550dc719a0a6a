#pragma once
// Gradient clipping by global norm, shared by the CPU and CUDA backends:
// norm = sqrt(sum of every gradient element squared), then every gradient is
// multiplied by min(1, max_norm / (norm + 1e-6)) (torch.nn.utils.clip_grad_norm_).
#include "kernels/common/philox.h"  // CUDANET_HD

namespace cudanet {

struct ClipGradNormParams {
  double max_norm = 1.0;
};

// A NaN norm gives a NaN coefficient (the gradients become NaN and the failure
// shows), as in PyTorch; an infinite norm gives 0.
CUDANET_HD double clip_coefficient(double norm, const ClipGradNormParams& p) {
  const double c = p.max_norm / (norm + 1e-6);
  return c > 1.0 ? 1.0 : c;
}

}  // namespace cudanet
