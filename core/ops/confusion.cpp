// Entry point of the confusion-matrix update used by the metrics.
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/confusion.h"
#include "kernels/cuda/confusion.cuh"

namespace cudanet {

void confusion_update_(const Tensor& cm, const Tensor& logits, const Tensor& labels) {
  check_floating(logits, "confusion_update_");
  check_ndim(logits, 2, "confusion_update_", "logits");
  check_dtype(labels, DType::i32, "confusion_update_", "labels");
  check_dtype(cm, DType::i32, "confusion_update_", "confusion matrix");
  check_same_device(cm, logits, "confusion_update_");
  check_same_device(labels, logits, "confusion_update_");
  const int64_t k = logits.size(1);
  CUDANET_CHECK(labels.dim() == 1 && labels.size(0) == logits.size(0), "confusion_update_: labels ",
                labels.describe(), " do not match logits ", logits.describe());
  CUDANET_CHECK(cm.dim() == 2 && cm.size(0) == k && cm.size(1) == k, "confusion_update_: matrix ", cm.describe(),
                " should be (", k, ", ", k, ")");
  CUDANET_DISPATCH(logits.device(), confusion_update, cm, logits, labels);
}

}  // namespace cudanet
