// Entry point of bias_add: a per-channel bias along dimension 1.
#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/bias.h"
#include "kernels/cuda/bias.cuh"

namespace cudanet {

Tensor bias_add(const Tensor& x, const Tensor& bias) {
  check_floating(x, "bias_add");
  check_same_device(x, bias, "bias_add");
  check_same_dtype(x, bias, "bias_add");
  CUDANET_CHECK(x.dim() >= 2 && bias.dim() == 1 && bias.size(0) == x.size(1), "bias_add: bias ",
                bias.describe(), " does not match dimension 1 of input ", x.describe());
  BiasParams p;
  p.n = x.size(0);
  p.channels = x.size(1);
  for (int d = 2; d < x.dim(); ++d) p.inner *= x.size(d);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  CUDANET_DISPATCH(x.device(), bias_add_forward, y, x, bias, p);
  if (any_requires_grad({&x, &bias})) {
    record(y, "bias_add", {x, bias}, [p, bshape = bias.shape()](const Tensor& g) {
      Tensor db = Tensor::empty(bshape, g.dtype(), g.device());
      CUDANET_DISPATCH(g.device(), bias_add_backward, db, g, p);
      return std::vector<Tensor>{g, db};
    });
  }
  return y;
}

}  // namespace cudanet
