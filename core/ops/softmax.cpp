// Entry points of softmax and log_softmax over the last axis of (N, K).
#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/softmax.h"
#include "kernels/cuda/softmax.cuh"

namespace cudanet {

namespace {

Tensor softmax_impl(const Tensor& x, Algo algo, bool log, const char* name) {
  check_floating(x, name);
  check_ndim(x, 2, name, "input");
  SoftmaxParams p;
  p.rows = x.size(0);
  p.cols = x.size(1);
  p.log = log;
  p.algo = resolve_algo(OpFamily::Softmax, algo);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  CUDANET_DISPATCH(x.device(), softmax_forward, y, x, p);
  if (any_requires_grad({&x})) {
    record(y, name, {x}, [y = y.detach(), p](const Tensor& g) {
      Tensor dx = Tensor::empty(y.shape(), y.dtype(), y.device());
      CUDANET_DISPATCH(y.device(), softmax_backward, dx, y, g, p);
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, Algo algo) { return softmax_impl(x, algo, false, "softmax"); }
Tensor log_softmax(const Tensor& x, Algo algo) { return softmax_impl(x, algo, true, "log_softmax"); }

}  // namespace cudanet
