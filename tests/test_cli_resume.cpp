// cudanet-train's checkpoints as a person resumes and evaluates them: what a
// model needs at inference travels with it, and a resume honours or refuses each
// flag that contradicts the checkpoint, saying which.
#include "cli_test_util.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "io/safetensors.h"
#include "train/checkpoint.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

std::string test_line(const std::string& out) {
  const size_t at = out.find("test accuracy: ");
  REQUIRE(at != std::string::npos);
  return out.substr(at, out.find('\n', at) - at);
}

// A copy of checkpoint `from` with its metadata changed: `set` keys given a value,
// `drop` keys removed (a checkpoint from before they were written).
std::string edited_checkpoint(const std::string& from, const std::string& to, const TensorMetadata& set,
                              const std::vector<std::string>& drop = {}) {
  SafetensorsFile f = load_safetensors(from);
  for (const auto& [k, v] : set) f.metadata[k] = v;
  for (const std::string& k : drop) f.metadata.erase(k);
  save_safetensors(to, f.tensors, f.metadata);
  return to;
}

}  // namespace

TEST_CASE("cli: a checkpoint trained with --standardize scores under eval and predict as at the end of training",
          "[cli][data]") {
  const std::string dir =
      require_data_dir("CUDANET_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist", "Fashion-MNIST");
  const std::string tmp = temp_dir("cli-standardize");
  const std::string ck = tmp + "/std.safetensors";
  const Run t =
      run("--data " + dir + " --limit 2000 --epochs 1 --model flatten-dense10 --standardize --device cpu --save " + ck);
  REQUIRE(t.code == 0);
  CHECK_THAT(t.out, Catch::Contains("standardised (mean 0.2"));
  const Run e = run("eval --device cpu --data " + dir + " --checkpoint " + ck);
  REQUIRE(e.code == 0);
  // The same test images scaled with the same statistics by the same arithmetic: the same line, loss included.
  CHECK(test_line(e.out) == test_line(t.out));

  const Run p = run("predict --device cpu --checkpoint " + ck + " --images " + dir +
                    "/t10k-images-idx3-ubyte.gz --output " + tmp + "/pred.txt");
  REQUIRE(p.code == 0);
  const IdxArray labels = read_idx(dir + "/t10k-labels-idx1-ubyte.gz");
  std::ifstream pred(tmp + "/pred.txt");
  int64_t n = 0, correct = 0;
  for (std::string line; std::getline(pred, line); ++n) correct += std::stoi(line) == labels.data<uint8_t>()[n];
  REQUIRE(n == 10000);
  char accuracy[32];
  std::snprintf(accuracy, sizeof accuracy, "test accuracy: %.4f ", static_cast<double>(correct) / n);
  CHECK_THAT(test_line(e.out), Catch::StartsWith(accuracy));

  // A checkpoint from before the statistics were stored still evaluates, unstandardised
  // as then, and scores otherwise: the statistics are what made the difference.
  const std::string old = edited_checkpoint(ck, tmp + "/old.safetensors", {},
                                            {"pixel_scale", "pixel_mean", "pixel_std", "num_classes", "input_shape"});
  const Run o = run("eval --device cpu --data " + dir + " --checkpoint " + old);
  REQUIRE(o.code == 0);
  CHECK(test_line(o.out) != test_line(t.out));
}

namespace {

// A checkpoint of one epoch of `flags` on 200 tiny images (180 trained, 3 batches of 64).
struct Trained {
  std::string dir, ck;
};
Trained trained(const std::string& name, const std::string& flags = "") {
  Trained t{tiny_dataset(name, 200), ""};
  t.ck = t.dir + "/run.safetensors";
  const Run r =
      run("--device cpu --quiet --epochs 1 --model flatten-dense10 --data " + t.dir + " --save " + t.ck + " " + flags);
  REQUIRE(r.code == 0);
  return t;
}

// The same checkpoint as if written one batch into its first epoch.
std::string mid_epoch(const Trained& t) {
  return edited_checkpoint(t.ck, t.dir + "/mid.safetensors", {{"epoch", "0"}, {"batch", "1"}, {"global_step", "1"}},
                           {"history"});
}

Run resume(const Trained& t, const std::string& ck, const std::string& flags) {
  return run("--device cpu --data " + t.dir + " --resume " + ck + " " + flags);
}

void check_refused(const Run& r, const std::string& flag, const std::string& checkpoint_value) {
  INFO(r.out);
  CHECK(r.code == 2);
  CHECK(lines(r.out) == 1);
  CHECK_THAT(r.out, Catch::StartsWith("cudanet-train: error: " + flag) && Catch::Contains(checkpoint_value));
}

std::vector<double> logged_rates(const std::string& log) {
  std::ifstream in(log);
  std::vector<double> rates;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("lr")) rates.push_back(j["lr"].get<double>());
  }
  return rates;
}

}  // namespace

TEST_CASE("cli: --resume honours a new --lr and says so", "[cli]") {
  const Trained t = trained("cli-resume-lr", "--lr 0.01");
  const Run r = resume(t, t.ck, "--epochs 2 --lr 0.5 --log " + t.dir + "/lr.jsonl");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("resume: --lr 0.5 replaces the checkpoint's 0.01"));
  CHECK(logged_rates(t.dir + "/lr.jsonl") == std::vector<double>{0.5});
  // Without --lr the checkpoint's rate goes on, not the optimizer's default.
  const Run kept = resume(t, t.ck, "--epochs 2 --log " + t.dir + "/kept.jsonl");
  REQUIRE(kept.code == 0);
  CHECK_THAT(kept.out, !Catch::Contains("resume: --lr"));
  CHECK(logged_rates(t.dir + "/kept.jsonl") == std::vector<double>{0.01});
}

TEST_CASE("cli: --resume honours more --epochs and refuses as many as are done", "[cli]") {
  const Trained t = trained("cli-resume-epochs");
  const Run more = resume(t, t.ck, "--epochs 3");
  REQUIRE(more.code == 0);
  CHECK_THAT(more.out, Catch::Contains("resuming at epoch 2") &&
                           Catch::Contains("resume: --epochs 3 trains to epoch 3 (the checkpoint's run asked for 1)") &&
                           Catch::Contains("epoch 3/3"));
  CHECK_THAT(more.out, !Catch::Contains("epoch 1/3"));
  check_refused(resume(t, t.ck, "--epochs 1"), "--epochs 1: ", "has completed 1 epoch");
  // Without --epochs the checkpoint's run is asked for again: it is complete.
  const Run none = resume(t, t.ck, "");
  CHECK(none.code == 2);
  CHECK_THAT(none.out, Catch::Contains("give --epochs 2 or more"));
}

TEST_CASE("cli: --resume refuses a --model that is not the checkpoint's", "[cli]") {
  const Trained t = trained("cli-resume-model");
  check_refused(resume(t, t.ck, "--epochs 2 --model mlp"), "--model mlp: ", "holds the model flatten-dense10");
  CHECK(resume(t, t.ck, "--epochs 2 --model flatten-dense10").code == 0);
}

TEST_CASE("cli: --resume refuses a --seed that is not the checkpoint's", "[cli]") {
  const Trained t = trained("cli-resume-seed", "--seed 3");
  check_refused(resume(t, t.ck, "--epochs 2 --seed 4"), "--seed 4: ", "trained with --seed 3");
  CHECK(resume(t, t.ck, "--epochs 2 --seed 3").code == 0);
  CHECK(resume(t, t.ck, "--epochs 2").code == 0);
}

TEST_CASE("cli: --resume refuses a --batch-size that moves a mid-epoch position, honours it at an epoch's end",
          "[cli]") {
  const Trained t = trained("cli-resume-batch");
  check_refused(resume(t, mid_epoch(t), "--batch-size 32"), "--batch-size 32: ", "after 1 batches of 64 in epoch 1");
  const Run end = resume(t, t.ck, "--epochs 2 --batch-size 32");
  REQUIRE(end.code == 0);
  CHECK_THAT(end.out, Catch::Contains("resume: --batch-size 32 replaces the checkpoint's 64") &&
                          Catch::Contains("batch 32, 2 epochs"));
}

TEST_CASE("cli: --resume refuses --standardize the checkpoint was not trained with, keeps it when it was", "[cli]") {
  const Trained plain = trained("cli-resume-std-plain");
  check_refused(resume(plain, plain.ck, "--epochs 2 --standardize"), "--standardize: ", "not standardised");
  const Trained std = trained("cli-resume-std", "--standardize");
  const Run kept = resume(std, std.ck, "--epochs 2");
  REQUIRE(kept.code == 0);
  CHECK_THAT(kept.out, Catch::Contains("validation images, standardised (mean "));
}

TEST_CASE("cli: --resume refuses an --optimizer that is not the checkpoint's, takes the checkpoint's otherwise",
          "[cli]") {
  const Trained t = trained("cli-resume-optimizer", "--optimizer sgd");
  check_refused(resume(t, t.ck, "--epochs 2 --optimizer adam"), "--optimizer adam: ", "optimizer sgd");
  const Run kept = resume(t, t.ck, "--epochs 2");
  REQUIRE(kept.code == 0);
  CHECK_THAT(kept.out, Catch::Contains("optimizer: sgd"));
}

TEST_CASE("cli: --resume mid-epoch refuses another training set (--limit, --val-split, --data)", "[cli]") {
  const Trained t = trained("cli-resume-data");
  check_refused(resume(t, mid_epoch(t), "--limit 100"), "the training set has 90 images", "had 180");
  check_refused(resume(t, mid_epoch(t), "--val-split 0.5"), "the training set has 100 images", "had 180");
}

namespace {

std::vector<int> logged_epochs(const std::string& log) {
  std::ifstream in(log);
  std::vector<int> epochs;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    epochs.push_back(j.contains("epoch") ? j["epoch"].get<int>() : 0);  // 0: the test line
  }
  return epochs;
}

int circles(const std::string& svg) {
  std::ifstream in(svg);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  int n = 0;
  for (size_t at = s.find("<circle"); at != std::string::npos; at = s.find("<circle", at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("cli: --resume appends to the same --log and --plot, which then show the whole run", "[cli]") {
  // The log was truncated and the plot lost the epochs before the resume.
  const std::string dir = tiny_dataset("cli-resume-append", 200);
  const std::string base = "--device cpu --quiet --model flatten-dense10 --data " + dir;
  const Run whole = run(base + " --epochs 3 --log " + dir + "/whole.jsonl --plot " + dir + "/whole.svg");
  REQUIRE(whole.code == 0);
  const std::string ck = dir + "/run.safetensors", log = dir + "/run.jsonl", svg = dir + "/run.svg";
  REQUIRE(run(base + " --epochs 2 --save " + ck + " --log " + log + " --plot " + svg).code == 0);
  CHECK(logged_epochs(log) == std::vector<int>{1, 2, 0});
  const Run r = run("--device cpu --quiet --data " + dir + " --resume " + ck + " --epochs 3 --log " + log + " --plot " + svg);
  REQUIRE(r.code == 0);
  CHECK(logged_epochs(log) == std::vector<int>{1, 2, 0, 3, 0});
  CHECK(circles(svg) == circles(dir + "/whole.svg"));
  CHECK(circles(svg) > 0);
  // A log that went on past the checkpoint (a run killed after its last save)
  // loses the epochs the resumed run trains again, and nothing else.
  const std::string ck1 = dir + "/one.safetensors", log1 = dir + "/one.jsonl";
  REQUIRE(run(base + " --epochs 1 --save " + ck1).code == 0);
  std::ofstream(log1) << "{\"accuracy\":0.1,\"epoch\":1}\n{\"accuracy\":0.2,\"epoch\":2}\n{\"note\":\"mine\"}\n";
  REQUIRE(run("--device cpu --quiet --data " + dir + " --resume " + ck1 + " --epochs 2 --log " + log1).code == 0);
  CHECK(logged_epochs(log1) == std::vector<int>{1, 0, 2, 0});
}
