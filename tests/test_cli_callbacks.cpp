// cudanet-train's callback flags as a Keras user reaches for them: early
// stopping, checkpoints per epoch or of the best, the plateau's rate, the CSV log.
#include "cli_test_util.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "train/checkpoint.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

std::string test_line(const std::string& out) {
  const size_t at = out.find("test accuracy: ");
  REQUIRE(at != std::string::npos);
  return out.substr(at, out.find('\n', at) - at);
}

// The CSV's rows without the timing columns (seconds, images_per_second).
std::vector<std::string> csv_rows(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> rows;
  for (std::string line; std::getline(f, line);) {
    size_t cut = line.size();
    for (int i = 0; i < 2; ++i) cut = line.rfind(',', cut - 1);
    rows.push_back(line.substr(0, cut));
  }
  return rows;
}

const char* kModel = " --model flatten-dense16-relu-dense10 --device cpu --batch-size 32";

}  // namespace

TEST_CASE("cli: early stopping stops, restores the best weights, and --save-best-only kept that epoch", "[cli]") {
  const std::string data = tiny_dataset("cli-early", 320);
  const std::string best = temp_dir("cli-early-out") + "/best.safetensors";
  // The validation loss falls, so with --monitor-mode max only epoch 1 is ever the best.
  const Run t = run("--data " + data + kModel + " --epochs 6 --early-stopping 1 --monitor-mode max"
                    " --restore-best-weights --save-best-only --save " + best);
  REQUIRE(t.code == 0);
  CHECK_THAT(t.out, Catch::Contains("callbacks: early stopping on val_loss (max) after 1 epoch, restoring the best"));
  CHECK_THAT(t.out, Catch::Contains("early stopping: val_loss has not improved for 1 epoch: stopped after epoch 2 of 6"));
  CHECK_THAT(t.out, Catch::Contains("early stopping: restored the weights of epoch 1"));
  CHECK_FALSE(t.out.find("epoch 3/6") != std::string::npos);
  CHECK(read_checkpoint(best).info.position.epoch == 1);
  // The test pass ran on the restored weights: the saved best scores the same, line for line.
  const Run e = run("eval --device cpu --data " + data + " --checkpoint " + best);
  REQUIRE(e.code == 0);
  CHECK(test_line(e.out) == test_line(t.out));
}

TEST_CASE("cli: --save with a pattern writes one checkpoint per epoch", "[cli]") {
  const std::string data = tiny_dataset("cli-pattern", 160);
  const std::string out = temp_dir("cli-pattern-out");
  const Run t = run("--data " + data + kModel + " --epochs 3 --save " + out + "/run-{epoch:02d}.safetensors");
  REQUIRE(t.code == 0);
  for (int e = 1; e <= 3; ++e)
    CHECK(read_checkpoint(out + "/run-0" + std::to_string(e) + ".safetensors").info.position.epoch == e);
  CHECK(std::distance(std::filesystem::directory_iterator(out), std::filesystem::directory_iterator()) == 3);
}

TEST_CASE("cli: the plateau lowers the rate, the CSV log records it, and a resume goes on from it", "[cli]") {
  const std::string data = tiny_dataset("cli-plateau", 160);
  const std::string out = temp_dir("cli-plateau-out");
  const std::string flags = kModel + std::string(" --reduce-lr-on-plateau 1 --plateau-factor 0.5 --monitor-mode max");
  const Run straight = run("--data " + data + flags + " --epochs 4 --csv-log " + out + "/a.csv");
  REQUIRE(straight.code == 0);
  CHECK_THAT(straight.out, Catch::Contains("epoch 2: val_loss has not improved for 1 epoch: lr 0.001 -> 0.0005"));
  const std::vector<std::string> a = csv_rows(out + "/a.csv");
  REQUIRE(a.size() == 5);
  CHECK(a[0] == "epoch,loss,accuracy,val_loss,val_accuracy,lr");
  // Every epoch after the first fails to raise the validation loss: the rate halves after each.
  const char* lr[] = {",0.001", ",0.001", ",0.0005", ",0.00025"};
  for (int e = 1; e <= 4; ++e) {
    INFO(a[e]);
    CHECK(a[e].rfind(std::to_string(e) + ",", 0) == 0);
    CHECK(a[e].substr(a[e].rfind(',')) == lr[e - 1]);
  }
  // Two epochs, then a resume to four: the same rows, the rates included.
  const std::string ck = out + "/ck.safetensors";
  REQUIRE(run("--data " + data + flags + " --epochs 2 --save " + ck + " --csv-log " + out + "/b.csv").code == 0);
  const Run resumed = run("--data " + data + flags + " --epochs 4 --resume " + ck + " --csv-log " + out + "/b.csv");
  REQUIRE(resumed.code == 0);
  CHECK(csv_rows(out + "/b.csv") == a);
}

TEST_CASE("cli: --loss mse and --label-smoothing train, travel in the checkpoint, and eval reports that loss", "[cli]") {
  const std::string data = tiny_dataset("cli-loss", 160);
  const std::string out = temp_dir("cli-loss-out");
  for (const std::string flags : {"--loss mse", "--label-smoothing 0.2"}) {
    const std::string ck = out + "/ck.safetensors";
    const Run t = run("--data " + data + kModel + " --epochs 1 " + flags + " --save " + ck);
    REQUIRE(t.code == 0);
    CHECK_THAT(t.out, Catch::Contains(flags == "--loss mse" ? "loss: mse\n" : "loss: cross_entropy with label smoothing 0.2\n"));
    const Checkpoint c = read_checkpoint(ck);
    CHECK(c.info.loss == (flags == "--loss mse" ? "mse" : "cross_entropy"));
    CHECK(c.info.label_smoothing == (flags == "--loss mse" ? 0.0 : 0.2));
    // eval computes the checkpoint's loss: its test line, loss included, is the trainer's.
    const Run e = run("eval --device cpu --data " + data + " --checkpoint " + ck);
    REQUIRE(e.code == 0);
    CHECK(test_line(e.out) == test_line(t.out));
    // A resume goes on with the checkpoint's loss and refuses another.
    const Run r = run("--data " + data + kModel + " --epochs 2 --loss cross_entropy --resume " + ck);
    if (flags == "--loss mse") {
      CHECK(r.code == 2);
      CHECK_THAT(r.out, Catch::Contains("was trained with --loss mse"));
    }
  }
  // The same model and data under the two losses report different test losses.
  const Run ce = run("--data " + data + kModel + " --epochs 1");
  const Run mse = run("--data " + data + kModel + " --epochs 1 --loss mse");
  CHECK(test_line(ce.out) != test_line(mse.out));
}

TEST_CASE("cli: callback flags that do not go together are refused before any data is read", "[cli]") {
  struct Case {
    std::string flags, message;
  };
  const std::vector<Case> cases = {
      {"--min-delta 0.1", "--min-delta needs --early-stopping N"},
      {"--restore-best-weights", "--restore-best-weights needs --early-stopping N"},
      {"--plateau-factor 0.5", "--plateau-factor needs --reduce-lr-on-plateau N"},
      {"--plateau-cooldown 2", "--plateau-cooldown needs --reduce-lr-on-plateau N"},
      {"--save-best-only", "--save-best-only needs --save FILE"},
      {"--monitor accuracy", "--monitor needs --early-stopping N, --reduce-lr-on-plateau N or --save-best-only"},
      {"--early-stopping 2 --monitor val_loss --val-split 0", "--monitor val_loss: --val-split 0 leaves no validation set"},
      {"--early-stopping 2 --monitor val_accuracy --val-split 0", "--monitor val_accuracy: --val-split 0"},
      {"--save run-{step}.safetensors", "--save: file-name pattern 'run-{step}.safetensors': {step}: unknown field"},
      {"--save run-{val_loss}.safetensors --val-split 0", "no validation set for its {val_...} field"},
      {"--plateau-factor 1 --reduce-lr-on-plateau 2", "--plateau-factor: 1 is not a finite number above 0"},
      {"--early-stopping -1", "--early-stopping: -1 is not an integer from 0"},
      {"--monitor val_f1 --early-stopping 1", "--monitor: val_f1 not in"},
      {"--loss mse --label-smoothing 0.1", "--label-smoothing applies to --loss cross_entropy only"},
  };
  for (const Case& c : cases) {
    const Run r = run("--data /nonexistent " + c.flags);
    INFO(c.flags << "\n" << r.out);
    CHECK(r.code == 2);
    CHECK_THAT(r.out, Catch::Contains(c.message));
    CHECK(lines(r.out) == 1);
  }
}
