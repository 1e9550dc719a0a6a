#pragma once
// An in-memory labelled dataset and the Keras-style validation split.
#include <cstdint>

#include "core/tensor.h"

namespace cudanet {

struct Dataset {
  Tensor images;  // (N, C, H, W) float32
  Tensor labels;  // (N) int32 in [0, num_classes)
  int num_classes = 10;
  // images = (pixel / 255 - pixel_mean) / pixel_std; 0 and 1 when not standardised.
  float pixel_mean = 0.0f;
  float pixel_std = 1.0f;

  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  // Samples [begin, end), sharing this dataset's storage.
  Dataset slice(int64_t begin, int64_t end) const;
};

struct TrainValSplit {
  Dataset train, val;
};

// As Keras's validation_split: the last `fraction` of the samples, taken before
// any shuffling, become the validation set (split at floor(N * (1 - fraction))).
// fraction in [0, 1); 0 gives an empty validation set, and a split that
// leaves either side empty is an error, as in Keras.
TrainValSplit split_last(const Dataset& d, double fraction);

// Rows [begin, end) of dimension 0 as a view on the same storage (no gradient).
Tensor rows_view(const Tensor& t, int64_t begin, int64_t end);

}  // namespace cudanet
