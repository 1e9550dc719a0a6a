// The averaged classification metrics against scikit-learn's on the same
// predictions (issue 15): macro, weighted and micro precision/recall/F1 with a
// class that is predicted but never true and one that never occurs at all.
#include "io_test_util.h"
#include "test_util.h"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/ops.h"
#include "train/metrics.h"

using namespace cudanet;
using namespace cudanet::test;

TEST_CASE("macro, weighted and micro averages match scikit-learn", "[metrics][python]") {
  const char* env = std::getenv("CUDANET_PYTHON");
  const std::string python = env && *env ? env : "python3";
  if (std::system((python + " -c 'import sklearn, numpy' > /dev/null 2>&1").c_str()) != 0)
    skip_test("scikit-learn is not installed for " + python + " (pip install scikit-learn)");
  // 500 samples of 8 classes: random logits, labels never 5 (predicted, never true),
  // class 7's logit far below the rest (never predicted, never true).
  constexpr int64_t n = 500, k = 8;
  Tensor logits = randn({n, k}, 31);
  std::mt19937 g(32);
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i) {
    logits.data<float>()[i * k + 7] = -100.0f;
    // Correlate labels with the logits so the scores are neither perfect nor chance.
    int best = 0;
    for (int j = 1; j < k; ++j)
      if (logits.data<float>()[i * k + j] > logits.data<float>()[i * k + best]) best = j;
    const int r = static_cast<int>(g() % 10);
    int y = r < 6 ? best : r;
    if (y >= 7 || y == 5) y = static_cast<int>(g() % 5);
    labels[i] = y;
  }
  Tensor cm = Tensor::zeros({k, k}, DType::i32);
  confusion_update_(cm, logits, Tensor::from_vector<int32_t>(labels, {n}));
  Tensor ranks = Tensor::zeros({k}, DType::i32);
  label_rank_update_(ranks, logits, Tensor::from_vector<int32_t>(labels, {n}));
  const Metrics m = Metrics::from_confusion(cm, 0.0, ranks);

  nlohmann::json in{{"num_classes", k}, {"ks", {1, 2, 3, 5}}};
  for (int64_t i = 0; i < n; ++i) {
    in["y_true"].push_back(labels[i]);
    std::vector<float> row(logits.data<float>() + i * k, logits.data<float>() + (i + 1) * k);
    in["y_pred"].push_back(std::max_element(row.begin(), row.end()) - row.begin());
    in["scores"].push_back(row);
  }
  const std::string dir = temp_dir("metrics-sklearn");
  std::ofstream(dir + "/in.json") << in.dump();
  const std::string cmd = python + " '" + CUDANET_SOURCE_DIR + "/tests/python/metrics_sklearn.py' '" + dir +
                          "/in.json' '" + dir + "/out.json'";
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
  nlohmann::json want;
  std::ifstream(dir + "/out.json") >> want;
  // Both sides divide the same integer counts in double: equal to rounding.
  for (const auto& [name, got] : {std::pair<const char*, const AveragedMetrics&>{"macro", m.macro},
                                  {"weighted", m.weighted}, {"micro", m.micro}}) {
    INFO(name);
    CHECK(got.precision == Approx(want[name]["precision"].get<double>()).epsilon(1e-12));
    CHECK(got.recall == Approx(want[name]["recall"].get<double>()).epsilon(1e-12));
    CHECK(got.f1 == Approx(want[name]["f1"].get<double>()).epsilon(1e-12));
  }
  CHECK(m.macro.precision != Approx(m.weighted.precision));
  for (int topk : {1, 2, 3, 5}) {
    INFO("top-" << topk);
    CHECK(m.top_k_accuracy(topk) == Approx(want["top_k"][std::to_string(topk)].get<double>()).epsilon(1e-12));
  }
  CHECK(m.top_k_accuracy(1) == Approx(m.accuracy).epsilon(1e-12));  // no ties: top-1 is the argmax  // the cases differ, so the test can tell them apart
}
