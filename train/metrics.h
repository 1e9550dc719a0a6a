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

// Precision, recall and F1 over the classes, averaged as scikit-learn's
// precision_recall_fscore_support does with labels=None and zero_division=0:
// over the classes that occur as a true or a predicted class.
struct AveragedMetrics {
  double precision = 0, recall = 0, f1 = 0;
};

// The k of the top-k accuracy reported where there are more classes (Keras's default).
constexpr int kTopK = 5;

struct Metrics {
  double loss = 0;
  double accuracy = 0;
  int64_t samples = 0;
  std::vector<int64_t> confusion;  // K*K, [true][predicted]
  int num_classes = 0;
  std::vector<ClassMetrics> per_class;
  AveragedMetrics macro;     // the plain mean over the classes
  AveragedMetrics weighted;  // the mean weighted by each class's support
  AveragedMetrics micro;     // from the summed counts: each equals accuracy for single-label data
  // rank_counts[r]: the samples whose true class had r logits above its own
  // (label_rank_update_); empty when not measured.
  std::vector<int64_t> rank_counts;
  // The fraction of samples whose true class is among the k highest logits
  // (Keras's top_k_categorical_accuracy); needs rank_counts.
  double top_k_accuracy(int k) const;

  // From a (K, K) int32 confusion matrix on any device and the summed loss.
  static Metrics from_confusion(const Tensor& cm, double loss_sum, const Tensor& rank_counts = Tensor());
  // The per-class table and the confusion matrix, for a person.
  std::string table(const std::vector<std::string>& class_names = {}) const;
};

}  // namespace cudanet
