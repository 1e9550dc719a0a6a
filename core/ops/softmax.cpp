// Entry points of softmax and log_softmax over the last axis of (N, K), and the
// choice of CUDA implementation per pass (hand-written, cuDNN, or measured once
// per shape).
#include <string>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/softmax.h"
#include "kernels/cuda/softmax.cuh"
#ifdef CUDANET_WITH_CUDA
#include "core/cuda/autotune.h"
#endif

namespace cudanet {

namespace {

#ifdef CUDANET_WITH_CUDA
// Runs one pass on CUDA with p.algo; Auto times both once per shape and pass
// and keeps the faster.
template <class Native, class Vendor>
void run_cuda(const Tensor& t, const SoftmaxParams& p, const char* pass, const Native& native,
              const Vendor& vendor) {
  Algo a = p.algo;
  if (a == Algo::Auto) {
    const std::string key = detail::cat(pass, p.log ? " log " : " ", dtype_name(t.dtype()), " ", p.rows, "x", p.cols);
    a = cuda::autotune(t.device().index, key, {Algo::Native, Algo::Cudnn},
                       [&](Algo c) { c == Algo::Cudnn ? vendor() : native(); });
  }
  a == Algo::Cudnn ? vendor() : native();
}
#endif

void forward(const Tensor& y, const Tensor& x, const SoftmaxParams& p) {
  auto native = [&] { CUDANET_DISPATCH(x.device(), softmax_forward, y, x, p); };
#ifdef CUDANET_WITH_CUDA
  if (x.device().is_cuda())
    return run_cuda(x, p, "softmax_forward", native, [&] { cuda::cudnn_softmax_forward(y, x, p); });
#endif
  native();
}

void backward(const Tensor& dx, const Tensor& y, const Tensor& dy, const SoftmaxParams& p) {
  auto native = [&] { CUDANET_DISPATCH(y.device(), softmax_backward, dx, y, dy, p); };
#ifdef CUDANET_WITH_CUDA
  if (y.device().is_cuda())
    return run_cuda(y, p, "softmax_backward", native, [&] { cuda::cudnn_softmax_backward(dx, y, dy, p); });
#endif
  native();
}

Tensor softmax_impl(const Tensor& x, Algo algo, bool log, const char* name) {
  check_floating(x, name);
  check_ndim(x, 2, name, "input");
  SoftmaxParams p;
  p.rows = x.size(0);
  p.cols = x.size(1);
  p.log = log;
  p.algo = resolve_algo(OpFamily::Softmax, algo);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  forward(y, x, p);
  if (any_requires_grad({&x})) {
    record(y, name, {x}, [y = y.detach(), p](const Tensor& g) {
      Tensor dx = Tensor::empty(y.shape(), y.dtype(), y.device());
      backward(dx, y, g, p);
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, Algo algo) { return softmax_impl(x, algo, false, "softmax"); }
Tensor log_softmax(const Tensor& x, Algo algo) { return softmax_impl(x, algo, true, "log_softmax"); }

}  // namespace cudanet
