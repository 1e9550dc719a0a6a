// Entry points of the sparse categorical cross-entropy and the label checks.
#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/cross_entropy.h"
#include "kernels/cuda/cross_entropy.cuh"

namespace cudanet {

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, double label_smoothing) {
  const char* op = "cross_entropy";
  check_floating(logits, op);
  check_ndim(logits, 2, op, "logits");
  check_dtype(labels, DType::i32, op, "labels");
  check_ndim(labels, 1, op, "labels");
  check_same_device(logits, labels, op);
  CUDANET_CHECK(labels.size(0) == logits.size(0), op, ": labels ", labels.describe(), " do not match the rows of logits ",
                logits.describe());
  CUDANET_CHECK(logits.size(0) > 0 && logits.size(1) > 0, op, ": empty logits ", logits.describe());
  CUDANET_CHECK(std::isfinite(label_smoothing) && label_smoothing >= 0 && label_smoothing <= 1, op,
                ": label_smoothing must be a number in [0, 1], got ", label_smoothing);
  const CrossEntropyParams p{logits.size(0), logits.size(1), label_smoothing};
  Tensor rows = Tensor::empty({p.rows}, logits.dtype(), logits.device());
  Tensor stats = Tensor::empty({p.rows, 2}, logits.dtype(), logits.device());
  CUDANET_DISPATCH(logits.device(), cross_entropy_forward, rows, stats, logits, labels, p);
  Tensor loss = mean(rows);
  if (any_requires_grad({&logits})) {
    record(loss, op, {logits, labels}, [x = logits.detach(), labels, stats, p](const Tensor& g) {
      Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
      CUDANET_DISPATCH(x.device(), cross_entropy_backward, dx, x, labels, stats, g, p);
      return std::vector<Tensor>{dx, Tensor()};
    });
  }
  return loss;
}

void check_labels(const Tensor& labels, int64_t num_classes) {
  check_dtype(labels, DType::i32, "check_labels", "labels");
  check_ndim(labels, 1, "check_labels", "labels");
  CUDANET_CHECK(num_classes > 0, "check_labels: num_classes must be positive, got ", num_classes);
  CUDANET_DISPATCH(labels.device(), check_labels, labels, num_classes, "check_labels");
}

void check_label_flag(Device device) { CUDANET_DISPATCH(device, check_label_flag, device); }

}  // namespace cudanet
