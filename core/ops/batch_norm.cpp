// Entry point of batch_norm: batch statistics in training (running buffers
// updated in place), running statistics in evaluation.
#include <string>

#include "core/autograd.h"
#include "core/cuda/autotune.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/batch_norm.h"
#include "kernels/cuda/batch_norm.cuh"

namespace cudanet {

namespace {

BatchNormDims bn_dims(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                      const Tensor& running_var, const BatchNormParams& p) {
  check_floating(x, "batch_norm");
  CUDANET_CHECK(x.dim() == 2 || x.dim() == 4, "batch_norm: input must be (N, C) or (N, C, H, W), got ",
                x.describe());
  const int64_t channels = x.size(1);
  const std::pair<const Tensor*, const char*> per_channel[] = {
      {&gamma, "gamma"}, {&beta, "beta"}, {&running_mean, "running_mean"}, {&running_var, "running_var"}};
  for (const auto& [t, what] : per_channel) {
    CUDANET_CHECK(t->defined(), "batch_norm: ", what, " is undefined");
    check_same_device(x, *t, "batch_norm");
    check_same_dtype(x, *t, "batch_norm");
    CUDANET_CHECK(t->dim() == 1 && t->size(0) == channels, "batch_norm: ", what, " ", t->describe(),
                  " must have shape (", channels, ") to match input ", x.describe());
  }
  CUDANET_CHECK(p.eps > 0, "batch_norm: eps must be positive, got ", p.eps);
  CUDANET_CHECK(p.momentum >= 0 && p.momentum <= 1, "batch_norm: momentum must lie in [0, 1], got ", p.momentum);
  BatchNormDims d;
  d.n = x.size(0);
  d.channels = channels;
  d.inner = x.dim() == 4 ? x.size(2) * x.size(3) : 1;
  d.momentum = p.momentum;
  d.eps = p.eps;
  d.training = p.training;
  // The unbiased variance of the running update needs two values per channel.
  CUDANET_CHECK(d.count() > (d.training ? 1 : 0), "batch_norm: ", d.training ? "training" : "evaluation",
                " needs more than ", d.training ? "one value" : "zero values", " per channel, got input ",
                x.describe());
  return d;
}

// Native or Cudnn; CPU tensors ignore the choice.
void forward_training([[maybe_unused]] Algo algo, const Tensor& y, const Tensor& mean, const Tensor& invstd,
                      const Tensor& running_mean, const Tensor& running_var, const Tensor& x, const Tensor& gamma,
                      const Tensor& beta, const BatchNormDims& d) {
#ifdef CUDANET_WITH_CUDA
  if (algo == Algo::Cudnn)
    return cuda::cudnn_batch_norm_forward_training(y, mean, invstd, running_mean, running_var, x, gamma, beta, d);
#endif
  CUDANET_DISPATCH(x.device(), batch_norm_forward_training, y, mean, invstd, running_mean, running_var, x, gamma,
                   beta, d);
}

void forward_inference([[maybe_unused]] Algo algo, const Tensor& y, const Tensor& x, const Tensor& gamma,
                       const Tensor& beta, const Tensor& running_mean, const Tensor& running_var,
                       const BatchNormDims& d) {
#ifdef CUDANET_WITH_CUDA
  if (algo == Algo::Cudnn)
    return cuda::cudnn_batch_norm_forward_inference(y, x, gamma, beta, running_mean, running_var, d);
#endif
  CUDANET_DISPATCH(x.device(), batch_norm_forward_inference, y, x, gamma, beta, running_mean, running_var, d);
}

// cuDNN has no backward through running statistics: eval mode always runs ours.
void backward([[maybe_unused]] Algo algo, const Tensor& dx, const Tensor& dgamma, const Tensor& dbeta,
              const Tensor& dy, const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& invstd,
              const BatchNormDims& d) {
#ifdef CUDANET_WITH_CUDA
  if (algo == Algo::Cudnn && d.training)
    return cuda::cudnn_batch_norm_backward(dx, dgamma, dbeta, dy, x, gamma, mean, invstd, d);
#endif
  CUDANET_DISPATCH(dy.device(), batch_norm_backward, dx, dgamma, dbeta, dy, x, gamma, mean, invstd, d);
}

// The implementation this call runs. Auto times the forward of both once per
// shape and mode, on scratch outputs and copies of the running buffers.
Algo pick_algo(Algo requested, const Tensor& x, [[maybe_unused]] const Tensor& gamma,
               [[maybe_unused]] const Tensor& beta, [[maybe_unused]] const Tensor& running_mean,
               [[maybe_unused]] const Tensor& running_var, [[maybe_unused]] const BatchNormDims& d) {
  if (!x.device().is_cuda()) return Algo::Native;
  const Algo a = resolve_algo(OpFamily::Norm, requested);
  if (a != Algo::Auto) return a;
#ifdef CUDANET_WITH_CUDA
  const std::string key = detail::cat("batch_norm ", d.training ? "train " : "eval ", x.describe());
  Tensor y, mean, invstd, rm, rv;  // scratch, allocated in the first (untimed) warm-up run
  return cuda::autotune(x.device().index, key, {Algo::Native, Algo::Cudnn}, [&](Algo c) {
    if (!y.defined()) {
      y = Tensor::empty(x.shape(), x.dtype(), x.device());
      mean = Tensor::empty(gamma.shape(), x.dtype(), x.device());
      invstd = Tensor::empty(gamma.shape(), x.dtype(), x.device());
      rm = running_mean.clone();
      rv = running_var.clone();
    }
    if (d.training) forward_training(c, y, mean, invstd, rm, rv, x, gamma, beta, d);
    else forward_inference(c, y, x, gamma, beta, running_mean, running_var, d);
  });
#else
  return Algo::Native;  // unreachable: without CUDA no tensor lives on a device
#endif
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                  const Tensor& running_var, const BatchNormParams& p) {
  const BatchNormDims d = bn_dims(x, gamma, beta, running_mean, running_var, p);
  const Algo algo = pick_algo(p.algo, x, gamma, beta, running_mean, running_var, d);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mean, invstd;  // (C): the statistics y was normalised with
  if (d.training) {
    mean = Tensor::empty(gamma.shape(), x.dtype(), x.device());
    invstd = Tensor::empty(gamma.shape(), x.dtype(), x.device());
    forward_training(algo, y, mean, invstd, running_mean, running_var, x, gamma, beta, d);
  } else {
    forward_inference(algo, y, x, gamma, beta, running_mean, running_var, d);
  }
  if (any_requires_grad({&x, &gamma, &beta})) {
    if (!d.training) {
      // Snapshots: a later training step updates the running buffers in place.
      NoGradGuard no_grad;
      mean = running_mean.clone();
      invstd = div(Tensor::full(gamma.shape(), 1.0, x.dtype(), x.device()), sqrt(add_scalar(running_var, d.eps)));
    }
    record(y, "batch_norm", {x, gamma, beta},
           [d, algo, xs = x.detach(), gs = gamma.detach(), mean, invstd](const Tensor& g) {
             Tensor dx = Tensor::empty(xs.shape(), g.dtype(), g.device());
             Tensor dgamma = Tensor::empty(gs.shape(), g.dtype(), g.device());
             Tensor dbeta = Tensor::empty(gs.shape(), g.dtype(), g.device());
             backward(algo, dx, dgamma, dbeta, g, xs, gs, mean, invstd, d);
             return std::vector<Tensor>{dx, dgamma, dbeta};
           });
  }
  return y;
}

}  // namespace cudanet
