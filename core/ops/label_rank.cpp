// Entry point of the label-rank histogram behind top-k accuracy.
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/label_rank.h"
#include "kernels/cuda/label_rank.cuh"

namespace cudanet {

void label_rank_update_(const Tensor& counts, const Tensor& logits, const Tensor& labels) {
  check_floating(logits, "label_rank_update_");
  check_ndim(logits, 2, "label_rank_update_", "logits");
  check_dtype(labels, DType::i32, "label_rank_update_", "labels");
  check_dtype(counts, DType::i32, "label_rank_update_", "counts");
  check_same_device(counts, logits, "label_rank_update_");
  check_same_device(labels, logits, "label_rank_update_");
  CUDANET_CHECK(labels.dim() == 1 && labels.size(0) == logits.size(0), "label_rank_update_: labels ",
                labels.describe(), " do not match logits ", logits.describe());
  CUDANET_CHECK(counts.dim() == 1 && counts.size(0) == logits.size(1), "label_rank_update_: counts ",
                counts.describe(), " should be (", logits.size(1), ",)");
  CUDANET_DISPATCH(logits.device(), label_rank_update, counts, logits, labels);
}

}  // namespace cudanet
