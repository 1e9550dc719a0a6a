#include "train/metrics.h"

#include <cstdio>
#include <sstream>
#include <utility>

namespace cudanet {

double Metrics::top_k_accuracy(int k) const {
  CUDANET_CHECK(!rank_counts.empty(), "top_k_accuracy: the ranks of the true classes were not measured");
  CUDANET_CHECK(k >= 1, "top_k_accuracy: k must be at least 1, got ", k);
  int64_t in = 0;
  for (int r = 0; r < k && r < static_cast<int>(rank_counts.size()); ++r) in += rank_counts[r];
  return samples ? static_cast<double>(in) / static_cast<double>(samples) : 0.0;
}

Metrics Metrics::from_confusion(const Tensor& cm, double loss_sum, const Tensor& ranks) {
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
  int present = 0;
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
    if (actual > 0 || predicted > 0) {  // a class that occurs
      ++present;
      m.macro.precision += r.precision, m.macro.recall += r.recall, m.macro.f1 += r.f1;
      const double w = static_cast<double>(actual);
      m.weighted.precision += w * r.precision, m.weighted.recall += w * r.recall, m.weighted.f1 += w * r.f1;
    }
  }
  if (present > 0) {
    m.macro.precision /= present, m.macro.recall /= present, m.macro.f1 /= present;
  }
  if (m.samples > 0) {
    const double n = static_cast<double>(m.samples);
    m.weighted.precision /= n, m.weighted.recall /= n, m.weighted.f1 /= n;
  }
  // Every sample is one prediction of one class: summed TP / summed predictions =
  // summed TP / summed support = accuracy, and so is their harmonic mean.
  m.micro = {m.accuracy, m.accuracy, m.accuracy};
  if (ranks.defined()) {
    const auto r = ranks.to(Device::cpu()).to_vector<int32_t>();
    m.rank_counts.assign(r.begin(), r.end());
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
  for (const auto& [name, a] : {std::pair<const char*, const AveragedMetrics&>{"macro avg", macro},
                                {"weighted avg", weighted}, {"micro avg", micro}}) {
    std::snprintf(line, sizeof line, "%-14s %9.4f %9.4f %9.4f %8lld\n", name, a.precision, a.recall, a.f1,
                  static_cast<long long>(samples));
    os << (name == std::string("macro avg") ? "\n" : "") << line;
  }
  if (!rank_counts.empty() && num_classes > kTopK) {
    std::snprintf(line, sizeof line, "\ntop-%d accuracy %.4f\n", kTopK, top_k_accuracy(kTopK));
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
