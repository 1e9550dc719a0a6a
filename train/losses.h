#pragma once
// Losses chosen by name (the trainer's loss flag, checkpoints): each is a
// LossFn over logits (N, K) and labels (N) int32 in [0, K), returning the mean
// loss of the batch as a scalar tensor, as fit() and evaluate() expect.
#include <string>

#include "train/fit.h"

namespace cudanet {

// The losses make_loss builds, by name.
inline constexpr const char* kLossNames[] = {"cross_entropy", "mse"};

// "cross_entropy": sparse categorical cross-entropy from logits with label
//   smoothing ε in [0, 1]: the target of a row is (1 - ε) onehot(label) + ε / K,
//   as Keras's CategoricalCrossentropy(label_smoothing=ε) and PyTorch's
//   CrossEntropyLoss(label_smoothing=ε). ε = 0 is cross_entropy_loss().
// "mse": mean over all N * K elements of (softmax(logits) - onehot(label))^2,
//   Keras's loss="mse" on a softmax output (MeanSquaredError: mean over the
//   classes, then over the batch). It takes no label smoothing.
// Throws on an unknown name (listing the known ones), on ε outside [0, 1] and on
// ε > 0 with "mse".
LossFn make_loss(const std::string& name, double label_smoothing = 0);

}  // namespace cudanet
