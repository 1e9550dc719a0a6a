#include "train/metrics.h"

#include <cstdio>
#include <sstream>

namespace cudanet {

Metrics Metrics::from_confusion(const Tensor& cm, double loss_sum) {
  CUDANET_CHECK(cm.dim() == 2 && cm.size(0) == cm.size(1), "metrics: confusion matrix must be square, got ",
                cm.describe());
  Metrics m;
  m.num_classes = static_cast<int>(cm.size(0));
  const int k = m.num_classes;
  auto counts = cm.to(Device::cpu()).to_vector<int32_t>();
  m.confusion.assign(counts.begin(), counts.end());
  int64_t correct = 0;
  for (int i = 0; i < k; ++i) {
    correct += m.confusion[i * k + i];
    for (int j = 0; j < k; ++j) m.samples += m.confusion[i * k + j];
  }
  m.accuracy = m.samples ? static_cast<double>(correct) / m.samples : 0.0;
  m.loss = m.samples ? loss_sum / m.samples : 0.0;
  m.per_class.resize(k);
  for (int c = 0; c < k; ++c) {
    int64_t predicted = 0, actual = 0;
    for (int j = 0; j < k; ++j) {
      predicted += m.confusion[j * k + c];
      actual += m.confusion[c * k + j];
    }
    const double tp = static_cast<double>(m.confusion[c * k + c]);
    ClassMetrics& r = m.per_class[c];
    r.support = actual;
    r.precision = predicted ? tp / predicted : 0.0;
    r.recall = actual ? tp / actual : 0.0;
    r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall) : 0.0;
  }
  return m;
}

std::string Metrics::table(const std::vector<std::string>& names) const {
  std::ostringstream os;
  char line[256];
  auto label = [&](int c) { return c < static_cast<int>(names.size()) ? names[c] : std::to_string(c); };
  std::snprintf(line, sizeof line, "%-14s %9s %9s %9s %8s\n", "class", "precision", "recall", "f1", "support");
  os << line;
  for (int c = 0; c < num_classes; ++c) {
    const ClassMetrics& r = per_class[c];
    std::snprintf(line, sizeof line, "%-14s %9.4f %9.4f %9.4f %8lld\n", label(c).c_str(), r.precision, r.recall, r.f1,
                  static_cast<long long>(r.support));
    os << line;
  }
  os << "\nconfusion matrix (rows: true class, columns: predicted)\n      ";
  for (int j = 0; j < num_classes; ++j) {
    std::snprintf(line, sizeof line, "%6d", j);
    os << line;
  }
  os << "\n";
  for (int i = 0; i < num_classes; ++i) {
    std::snprintf(line, sizeof line, "%5d ", i);
    os << line;
    for (int j = 0; j < num_classes; ++j) {
      std::snprintf(line, sizeof line, "%6lld", static_cast<long long>(confusion[i * num_classes + j]));
      os << line;
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace cudanet
