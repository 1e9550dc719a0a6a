#include "train/losses.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "core/ops.h"

namespace cudanet {

LossFn make_loss(const std::string& name, double label_smoothing) {
  if (std::ranges::find(kLossNames, name) == std::end(kLossNames)) {
    std::string known;
    for (const char* n : kLossNames) known += (known.empty() ? "" : " or ") + std::string(n);
    CUDANET_FAIL("unknown loss '", name, "' (choose ", known, ")");
  }
  // Checked here too, so a bad value fails when the loss is chosen, not at the first batch.
  CUDANET_CHECK(std::isfinite(label_smoothing) && label_smoothing >= 0 && label_smoothing <= 1, "loss ", name,
                ": label_smoothing must be a number in [0, 1], got ", label_smoothing);
  if (name == "mse") {
    CUDANET_CHECK(label_smoothing == 0, "loss mse takes no label_smoothing (got ", label_smoothing,
                  "): label smoothing applies to cross_entropy only");
    return [](const Tensor& logits, const Tensor& labels) {
      const Tensor probs = softmax(logits);
      return mse_loss(probs, one_hot(labels, probs.size(1), probs.dtype()));
    };
  }
  return [label_smoothing](const Tensor& logits, const Tensor& labels) {
    return cross_entropy(logits, labels, label_smoothing);
  };
}

}  // namespace cudanet
