// cudanet-train predict --output FILE.csv / FILE.npy and --top-k: the softmax
// probabilities of a checkpoint whose weights the test chose, checked against
// the same model computed here in double precision, and NumPy loading the .npy.
#include "cli_test_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "io/npy.h"
#include "layers/zoo.h"
#include "train/checkpoint.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

constexpr int kClasses = 10;
constexpr int kPixels = 28 * 28;
constexpr int64_t kImages = 30;

// A flatten-dense10 checkpoint with random weights, the images to predict, and
// their probabilities computed here: softmax(W x + b) in double, x = pixels / 255.
struct Setup {
  std::string dir, checkpoint, images;
  std::vector<std::vector<double>> probs;  // (kImages, kClasses)

  explicit Setup(const std::string& name) {
    dir = tiny_dataset(name, kImages);
    checkpoint = dir + "/model.safetensors";
    images = dir + "/t10k-images-idx3-ubyte";
    auto model = build_classifier("flatten-dense10", Shape{1, 28, 28}, kClasses);
    NamedTensors params = model->named_parameters();
    REQUIRE(params.size() == 2);
    Tensor w = params[0].second, b = params[1].second;  // (10, 784), (10)
    REQUIRE(w.shape() == Shape{kClasses, kPixels});
    std::mt19937 gen(1234);
    std::uniform_real_distribution<float> uniform(-0.15f, 0.15f);
    for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = uniform(gen);
    for (int64_t i = 0; i < b.numel(); ++i) b.data<float>()[i] = 10 * uniform(gen);
    CheckpointInfo info;
    info.model = "flatten-dense10";
    info.optimizer = "adam";
    info.position = {1, 0, 1};
    info.lr = 0.001;
    info.num_classes = kClasses;
    info.input_shape = Shape{1, 28, 28};
    save_checkpoint(checkpoint, *model, nullptr, info);

    const IdxArray x = read_idx(images);
    for (int64_t n = 0; n < kImages; ++n) {
      std::vector<double> logits(kClasses);
      for (int k = 0; k < kClasses; ++k) {
        double sum = b.data<float>()[k];
        for (int p = 0; p < kPixels; ++p)
          sum += static_cast<double>(w.data<float>()[k * kPixels + p]) * (x.data<uint8_t>()[n * kPixels + p] / 255.0);
        logits[k] = sum;
      }
      const double top = *std::max_element(logits.begin(), logits.end());
      double total = 0;
      for (double& l : logits) total += l = std::exp(l - top);
      for (double& l : logits) l /= total;
      probs.push_back(logits);
    }
  }

  std::string predict(const std::string& flags) const {
    return "predict --device cpu --checkpoint " + checkpoint + " --images " + images + " " + flags;
  }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(field);
  return out;
}

std::vector<std::string> text_lines(const std::string& text) {
  REQUIRE((text.empty() || text.back() == '\n'));
  return split(text, '\n');
}

// "class,p0,...,p9" rows: the class and the probabilities as the file's floats.
struct CsvProbs {
  std::vector<int> classes;
  std::vector<std::vector<float>> probs;
};

CsvProbs read_probs_csv(const std::string& path) {
  const std::vector<std::string> rows = text_lines(read_text(path));
  REQUIRE(rows.size() == kImages + 1);
  CHECK(rows[0] == "class,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9");
  CsvProbs csv;
  for (size_t i = 1; i < rows.size(); ++i) {
    const std::vector<std::string> f = split(rows[i], ',');
    REQUIRE(f.size() == kClasses + 1);
    csv.classes.push_back(std::stoi(f[0]));
    std::vector<float> p;
    for (int k = 0; k < kClasses; ++k) p.push_back(std::strtof(f[k + 1].c_str(), nullptr));
    csv.probs.push_back(p);
  }
  return csv;
}

std::vector<int> plain_classes(const Run& r) {
  std::vector<int> out;
  for (const std::string& line : text_lines(r.out)) out.push_back(std::stoi(line));
  return out;
}

int argmax(const std::vector<float>& p) { return static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin()); }

}  // namespace

TEST_CASE("cli: predict --output FILE.csv writes the softmax probabilities", "[cli][predict]") {
  const Setup s("pred-csv");
  const Run plain = run(s.predict(""));
  REQUIRE(plain.code == 0);
  const std::string csv_path = s.dir + "/probs.csv";
  const Run r = run(s.predict("--output " + csv_path));
  REQUIRE(r.code == 0);
  CHECK(r.out.empty());
  const CsvProbs csv = read_probs_csv(csv_path);
  const std::vector<int> classes = plain_classes(plain);
  REQUIRE(classes.size() == kImages);
  for (int64_t n = 0; n < kImages; ++n) {
    INFO("image " << n);
    double sum = 0;
    // float32 softmax: each probability within a few ulp of itself, so the sum
    // is within a few float32 epsilons (1.2e-7) of 1.
    for (float p : csv.probs[n]) sum += p;
    CHECK(std::abs(sum - 1.0) < 1e-6);
    CHECK(argmax(csv.probs[n]) == csv.classes[n]);
    CHECK(csv.classes[n] == classes[n]);
    // Against the model in double: the float32 dot products of 784 terms carry
    // relative errors near 1e-6 into the logits of magnitude up to ~10.
    for (int k = 0; k < kClasses; ++k) CHECK(std::abs(csv.probs[n][k] - s.probs[n][k]) < 1e-5);
  }
  // The extension in any case; a name without .csv or .npy keeps one class per line.
  REQUIRE(run(s.predict("--output " + s.dir + "/upper.CSV")).code == 0);
  CHECK(read_text(s.dir + "/upper.CSV") == read_text(csv_path));
  REQUIRE(run(s.predict("--output " + s.dir + "/classes.txt")).code == 0);
  CHECK(read_text(s.dir + "/classes.txt") == plain.out);
}

TEST_CASE("cli: predict --output FILE.npy writes NumPy's format 1.0 of the probabilities", "[cli][predict]") {
  const Setup s("pred-npy");
  REQUIRE(run(s.predict("--output " + s.dir + "/probs.csv")).code == 0);
  const CsvProbs csv = read_probs_csv(s.dir + "/probs.csv");
  const Run r = run(s.predict("--output " + s.dir + "/probs.npy"));
  REQUIRE(r.code == 0);
  CHECK(r.out.empty());
  const std::string bytes = read_text(s.dir + "/probs.npy");
  // numpy.lib.format: magic, version 1.0, a little-endian uint16 header length,
  // the dict padded with spaces to a 64-byte boundary and ended by '\n'.
  REQUIRE(bytes.size() > 10);
  CHECK(bytes.substr(0, 6) == "\x93NUMPY");
  CHECK(bytes[6] == 1);
  CHECK(bytes[7] == 0);
  const size_t header_len = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
  const size_t data_at = 10 + header_len;
  CHECK(data_at % 64 == 0);
  REQUIRE(bytes.size() == data_at + kImages * kClasses * sizeof(float));
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (30, 10), }";
  CHECK(bytes.substr(10, dict.size()) == dict);
  CHECK(bytes.substr(10 + dict.size(), header_len - dict.size() - 1) == std::string(header_len - dict.size() - 1, ' '));
  CHECK(bytes[data_at - 1] == '\n');
  // The same floats as the CSV's (%.9g reads back to the float exactly).
  std::vector<float> values(kImages * kClasses);
  std::memcpy(values.data(), bytes.data() + data_at, values.size() * sizeof(float));
  for (int64_t n = 0; n < kImages; ++n)
    for (int k = 0; k < kClasses; ++k) CHECK(values[n * kClasses + k] == csv.probs[n][k]);
}

TEST_CASE("npy: headers of every dtype and rank", "[predict]") {
  auto dict = [](DType t, const Shape& shape) {
    const std::vector<uint8_t> h = npy_header(t, shape);
    REQUIRE(h.size() % 64 == 0);
    REQUIRE(h.back() == '\n');
    std::string text(h.begin() + 10, h.end() - 1);
    CHECK(h[8] + (h[9] << 8) == static_cast<int>(h.size() - 10));
    return text.substr(0, text.find_last_not_of(' ') + 1);
  };
  CHECK(dict(DType::i32, Shape{3}) == "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }");
  CHECK(dict(DType::f64, Shape{}) == "{'descr': '<f8', 'fortran_order': False, 'shape': (), }");
  CHECK(dict(DType::u8, Shape{2, 0, 4}) == "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 0, 4), }");
  CHECK(dict(DType::f32, Shape{60000, 10}) == "{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 10), }");
}

TEST_CASE("cli: predict --top-k lists the most probable classes in order", "[cli][predict]") {
  const Setup s("pred-topk");
  REQUIRE(run(s.predict("--output " + s.dir + "/probs.csv")).code == 0);
  const CsvProbs full = read_probs_csv(s.dir + "/probs.csv");
  for (int k : {1, 3, kClasses}) {
    INFO("--top-k " << k);
    const std::string path = s.dir + "/top" + std::to_string(k) + ".csv";
    REQUIRE(run(s.predict("--top-k " + std::to_string(k) + " --output " + path)).code == 0);
    const std::vector<std::string> rows = text_lines(read_text(path));
    REQUIRE(rows.size() == kImages + 1);
    std::string header = "class";
    for (int j = 1; j <= k; ++j) header += ",top" + std::to_string(j) + ",p_top" + std::to_string(j);
    CHECK(rows[0] == header);
    const Run text = run(s.predict("--top-k " + std::to_string(k)));
    REQUIRE(text.code == 0);
    const std::vector<std::string> text_rows = text_lines(text.out);
    REQUIRE(text_rows.size() == kImages);
    for (int64_t n = 0; n < kImages; ++n) {
      INFO("image " << n);
      const std::vector<std::string> f = split(rows[n + 1], ',');
      REQUIRE(f.size() == static_cast<size_t>(1 + 2 * k));
      CHECK(std::stoi(f[0]) == full.classes[n]);
      CHECK(std::stoi(f[1]) == full.classes[n]);
      std::vector<bool> listed(kClasses, false);
      std::string as_text;
      for (int j = 0; j < k; ++j) {
        const int cls = std::stoi(f[1 + 2 * j]);
        const float p = std::strtof(f[2 + 2 * j].c_str(), nullptr);
        REQUIRE((cls >= 0 && cls < kClasses));
        CHECK(!listed[cls]);
        listed[cls] = true;
        CHECK(p == full.probs[n][cls]);
        if (j > 0) CHECK(p <= std::strtof(f[2 * j].c_str(), nullptr));
        as_text += (j ? " " : "") + f[1 + 2 * j];
      }
      // Every class left out is no more probable than the last one listed.
      const float last = std::strtof(f[2 * k].c_str(), nullptr);
      for (int c = 0; c < kClasses; ++c)
        if (!listed[c]) CHECK(full.probs[n][c] <= last);
      CHECK(text_rows[n] == as_text);
    }
  }
}

TEST_CASE("cli: predict refuses --top-k beyond the classes, below 1, or with a .npy", "[cli][predict]") {
  const Setup s("pred-topk-bad");
  struct Case {
    std::string flags, says;
  };
  const Case cases[] = {
      {"--top-k 11", "--top-k 11 exceeds the 10 classes of " + s.checkpoint + "'s model"},
      {"--top-k 11 --output " + s.dir + "/out.csv", "--top-k 11 exceeds the 10 classes"},
      {"--top-k 0", "--top-k: 0 is not an integer from 1 to 2147483647"},
      {"--top-k -3", "--top-k"},
      {"--top-k 99999999999", "--top-k"},
      {"--top-k 2 --output " + s.dir + "/out.npy", "--top-k: " + s.dir + "/out.npy is a .npy file"},
  };
  for (const Case& c : cases) {
    const Run r = run(s.predict(c.flags));
    INFO(c.flags << "\n" << r.out);
    CHECK(r.code == 2);
    CHECK(lines(r.out) == 1);
    CHECK_THAT(r.out, Catch::StartsWith("cudanet-train: error: ") && Catch::Contains(c.says));
  }
  CHECK(!std::filesystem::exists(s.dir + "/out.csv"));
  CHECK(!std::filesystem::exists(s.dir + "/out.npy"));
}

TEST_CASE("cli: NumPy loads predict's .npy and agrees with its classes", "[cli][predict][python]") {
  const char* env = std::getenv("CUDANET_PYTHON");
  const std::string python = env && *env ? env : "python3";
  if (std::system((python + " -c 'import numpy' > /dev/null 2>&1").c_str()) != 0)
    skip_test("the Python package numpy is not installed for " + python + " (pip install numpy)");
  const Setup s("pred-python");
  REQUIRE(run(s.predict("--output " + s.dir + "/probs.npy")).code == 0);
  REQUIRE(run(s.predict("--output " + s.dir + "/probs.csv")).code == 0);
  REQUIRE(run(s.predict("--output " + s.dir + "/classes.txt")).code == 0);
  // write_npy's other dtypes and ranks, for the script to check value by value.
  write_npy(s.dir + "/i32.npy", Tensor::from_vector<int32_t>({1, -2, 3, 2147483647, -2147483647 - 1, 0}, {2, 3}));
  write_npy(s.dir + "/u8.npy", Tensor::from_vector<uint8_t>({0, 1, 254, 255}, {4}));
  write_npy(s.dir + "/f64.npy", Tensor::scalar(-0.1, DType::f64));
  write_npy(s.dir + "/empty.npy", Tensor::empty({0, 10}));
  const std::string script = std::string(CUDANET_SOURCE_DIR) + "/tests/python/npy_predictions.py";
  const std::string cmd = python + " '" + script + "' '" + s.dir + "'";
  INFO(cmd);
  CHECK(std::system(cmd.c_str()) == 0);
}
