#pragma once
// Classification metrics derived from a confusion matrix (accumulated on the
// device by confusion_update_, read back once per evaluation).
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace cudanet {

struct ClassMetrics {
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;  // samples whose true class this is
};

struct Metrics {
  double loss = 0;
  double accuracy = 0;
  int64_t samples = 0;
  std::vector<int64_t> confusion;  // K*K, [true][predicted]
  int num_classes = 0;
  std::vector<ClassMetrics> per_class;

  // From a (K, K) int32 confusion matrix on any device and the summed loss.
  static Metrics from_confusion(const Tensor& cm, double loss_sum);
  // The per-class table and the confusion matrix, for a person.
  std::string table(const std::vector<std::string>& class_names = {}) const;
};

}  // namespace cudanet
