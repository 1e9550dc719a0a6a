// Entry point of the mean squared error.
#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/mse_loss.h"
#include "kernels/cuda/mse_loss.cuh"

namespace cudanet {

Tensor mse_loss(const Tensor& pred, const Tensor& target) {
  const char* op = "mse_loss";
  check_floating(pred, op);
  check_same_device(pred, target, op);
  check_same_dtype(pred, target, op);
  check_same_shape(pred, target, op);
  CUDANET_CHECK(pred.numel() > 0, op, ": empty input ", pred.describe());
  const MseLossParams p{pred.numel()};
  Tensor sq = Tensor::empty(pred.shape(), pred.dtype(), pred.device());
  CUDANET_DISPATCH(pred.device(), mse_loss_forward, sq, pred, target, p);
  Tensor loss = mean(sq);
  if (any_requires_grad({&pred, &target})) {
    record(loss, op, {pred, target},
           [a = pred.detach(), b = target.detach(), need_a = pred.requires_grad(), need_b = target.requires_grad(),
            p](const Tensor& g) {
             Tensor da = need_a ? Tensor::empty(a.shape(), a.dtype(), a.device()) : Tensor();
             Tensor db = need_b ? Tensor::empty(b.shape(), b.dtype(), b.device()) : Tensor();
             CUDANET_DISPATCH(a.device(), mse_loss_backward, da, db, a, b, g, p);
             return std::vector<Tensor>{da, db};
           });
  }
  return loss;
}

}  // namespace cudanet
