// Entry point of dropout: a Philox mask shared bit for bit by both backends.
#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/dropout.h"
#include "kernels/cuda/dropout.cuh"

namespace cudanet {

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  CUDANET_CHECK(p >= 0 && p < 1, "dropout: drop probability p = ", p, " must lie in [0, 1) (input ", x.describe(),
                ")");
  check_floating(x, "dropout");
  if (!training || p == 0) return x;
  DropoutParams dp;
  dp.n = x.numel();
  dp.seed = gen.seed();
  dp.offset = gen.advance(dropout_counters(dp.n));
  dp.threshold = static_cast<uint32_t>(p * 4294967296.0);
  dp.scale = 1.0 / (1.0 - p);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  CUDANET_DISPATCH(x.device(), dropout_forward, y, x, dp);
  if (any_requires_grad({&x})) {
    // The mask is recomputed from (seed, offset) rather than saved: the same
    // masked scaling applied to the incoming gradient.
    record(y, "dropout", {x}, [dp](const Tensor& g) {
      Tensor dx = Tensor::empty(g.shape(), g.dtype(), g.device());
      CUDANET_DISPATCH(g.device(), dropout_forward, dx, g, dp);
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

}  // namespace cudanet
