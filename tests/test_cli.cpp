// cudanet-train as a person meets it: every error is one clear line and a
// non-zero exit, never a crash; Ctrl-C saves; a resume continues.
#include "cli_test_util.h"

#include <signal.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <regex>
#include <set>
#include <sstream>

#include "io/idx.h"
#include "io/safetensors.h"
#include "train/checkpoint.h"

using namespace cudanet;
using namespace cudanet::test;

TEST_CASE("cli: a missing data folder or file is named", "[cli]") {
  Run r = run("--data /nonexistent/folder --epochs 1 --device cpu");
  CHECK(r.code == 1);
  CHECK(lines(r.out) == 1);
  CHECK_THAT(r.out, Catch::StartsWith("cudanet-train: error:") && Catch::Contains("/nonexistent/folder"));
  Run e = run("--data " + temp_dir("cli-empty") + " --epochs 1 --device cpu");
  CHECK(e.code == 1);
  CHECK(lines(e.out) == 1);
  CHECK_THAT(e.out, Catch::Contains("train-images-idx3-ubyte.gz") && Catch::Contains("train-images.idx3-ubyte"));
}

TEST_CASE("cli: a corrupt data file is named with its defect", "[cli]") {
  const std::string dir = tiny_dataset("cli-corrupt", 20);
  write_raw(dir + "/train-images-idx3-ubyte", {0x00, 0x00, 0x08, 0x03, 0x00, 0x00});
  Run r = run("--data " + dir + " --epochs 1 --device cpu");
  CHECK(r.code == 1);
  CHECK(lines(r.out) == 1);
  CHECK_THAT(r.out, Catch::Contains("train-images-idx3-ubyte"));
}

TEST_CASE("cli: every error is one prefixed line with the documented exit status", "[cli]") {
  // docs/cli.md: 2 for a command line that cannot run as written, 1 for what the run meets.
  const std::string dir = tiny_dataset("cli-errors", 20);
  struct Case {
    std::string args;
    int code;
    std::string says;
  };
  const Case cases[] = {
      {"--epochz 3", 2, "--epochz"},
      {"--bogus", 2, "--bogus"},
      {"train extra", 2, "extra"},
      {"--optimizer adamax", 2, "adamax"},
      {"--optimizer foo", 2, "--optimizer: foo"},
      {"--epochs 0", 2, "--epochs"},
      {"--epochs abc", 2, "--epochs"},
      {"--batch-size 0", 2, "--batch-size"},
      {"--device tpu:0 --data " + dir, 2, "unknown device 'tpu:0'"},
      {"eval --data " + dir, 2, "--checkpoint is required"},
      {"predict --checkpoint x", 2, "--images is required"},
      {"eval --device gpu --checkpoint x", 2, "--device"},
      {"--optimizer adam --momentum 0.9 --data " + dir, 2, "--momentum does not apply to --optimizer adam"},
      {"--lr-schedule cosine --lr-gamma 0.5", 2, "--lr-gamma does not apply to --lr-schedule cosine"},
      {"--data /nonexistent/folder --device cpu", 1, "/nonexistent/folder"},
      {"eval --device cpu --data " + dir + " --checkpoint " + dir + "/none.safetensors", 1, "none.safetensors"},
      {"predict --device cpu --checkpoint " + dir + "/none.safetensors --images x", 1, "none.safetensors"},
      {"--device cpu --data " + dir + " --resume " + dir + "/none.safetensors", 1, "none.safetensors"},
      {"--model conv32x3-relu-dense10 --device cpu --data " + dir, 1, "(32, 26, 26)"},
  };
  for (const Case& c : cases) {
    const Run r = run(c.args);
    INFO(c.args << "\n" << r.out);
    CHECK(r.code == c.code);
    CHECK(lines(r.out) == 1);
    CHECK_THAT(r.out, Catch::StartsWith("cudanet-train: error: ") && Catch::Contains(c.says));
    CHECK_THAT(r.out, !Catch::Contains(".cpp:") && !Catch::Contains(".h:") && !Catch::Contains("Run with --help"));
  }
}

TEST_CASE("cli: every numeric flag refuses NaN, infinity and overflow with its range", "[cli]") {
  // NaN passed CLI11's Range and meant "unset"; 99999999999999999999 saturated to 2^63 - 1.
  struct Flag {
    std::string command, flag, range;
  };
  const std::string int64_max = "9223372036854775807";
  const Flag flags[] = {
      {"train", "--epochs", "an integer from 1 to 100000"},
      {"train", "--batch-size", "an integer from 1 to 1048576"},
      {"train", "--lr", "a finite number of 0 or more"},
      {"train", "--momentum", "a finite number from 0 to 1"},
      {"train", "--weight-decay", "a finite number of 0 or more"},
      {"train", "--val-split", "a finite number from 0 to 0.99"},
      {"train", "--warmup-steps", "an integer from 0 to " + int64_max},
      {"train", "--lr-step-size", "an integer from 1 to " + int64_max},
      {"train", "--lr-gamma", "a finite number above 0, at most 1"},
      {"train", "--lr-decay-steps", "an integer from 1 to " + int64_max},
      {"train", "--lr-min", "a finite number of 0 or more"},
      {"train", "--clip-norm", "a finite number of 0 or more"},
      {"train", "--seed", "an integer from 0 to 18446744073709551615"},
      {"train", "--limit", "an integer from 0 to " + int64_max},
      {"train", "--threads", "an integer from 0 to 1024"},
      {"train", "--label-smoothing", "a finite number from 0 to 1"},
      {"train", "--early-stopping", "an integer from 0 to 100000"},
      {"train", "--min-delta", "a finite number of 0 or more"},
      {"train", "--reduce-lr-on-plateau", "an integer from 0 to 100000"},
      {"train", "--plateau-factor", "a finite number above 0, at most 0.999999"},
      {"train", "--plateau-min-lr", "a finite number of 0 or more"},
      {"train", "--plateau-cooldown", "an integer from 0 to 100000"},
      {"train", "--plateau-min-delta", "a finite number of 0 or more"},
      {"eval --checkpoint x", "--batch-size", "an integer from 1 to 1048576"},
      {"predict --checkpoint x --images y", "--batch-size", "an integer from 1 to 1048576"},
      {"predict --checkpoint x --images y", "--top-k", "an integer from 1 to 2147483647"},
  };
  // Every numeric flag the help lists is in the table: a new one cannot skip the check.
  for (const std::string command : {"train", "eval", "predict"}) {
    std::set<std::string> in_help, in_table;
    std::istringstream help(run(command + " --help").out);
    const std::regex numeric(R"(^\s+(--[a-z0-9-]+) (INT|UINT|FLOAT)\b)");
    std::smatch m;
    for (std::string line; std::getline(help, line);)
      if (std::regex_search(line, m, numeric)) in_help.insert(m[1]);
    for (const Flag& f : flags)
      if (f.command.rfind(command, 0) == 0) in_table.insert(f.flag);
    INFO(command);
    CHECK(in_help == in_table);
  }
  // A double's huge value is one that overflows it (1e20 is a fine learning rate, if a poor one).
  const std::vector<std::string> for_int{"nan", "inf", "1e3", "99999999999999999999", "-99999999999999999999"};
  const std::vector<std::string> for_double{"nan", "NaN", "inf", "-inf", "1e999", "-1e999"};
  for (const Flag& f : flags) {
    for (const std::string& value : f.range.rfind("an integer", 0) == 0 ? for_int : for_double) {
      const Run r = run(f.command + " " + f.flag + " " + value);
      INFO(f.command << " " << f.flag << " " << value << "\n" << r.out);
      CHECK(r.code == 2);
      CHECK(lines(r.out) == 1);
      CHECK(r.out == "cudanet-train: error: " + f.flag + ": " + value + " is not " + f.range + "\n");
    }
  }
}

TEST_CASE("cli: an output path that cannot be written is refused before training", "[cli]") {
  // --save and --plot into a missing folder failed only after the first epoch had trained.
  const std::string dir = tiny_dataset("cli-outputs", 20);
  write_raw(dir + "/afile", {1});  // a regular file where a folder should be (root writes read-only folders)
  struct Case {
    std::string flag, path, why;
  };
  const Case cases[] = {
      {"--save", dir + "/missing/ck.safetensors", "the folder " + dir + "/missing does not exist"},
      {"--save", dir + "/afile/ck.safetensors", dir + "/afile is not a folder"},
      {"--save", dir, "it is a folder (only a regular file is replaced)"},
      {"--plot", dir + "/missing/curves.svg", "the folder " + dir + "/missing does not exist"},
      {"--plot", dir + "/afile/curves.svg", dir + "/afile is not a folder"},
      {"--log", dir + "/missing/log.jsonl", "the folder " + dir + "/missing does not exist"},
  };
  for (const Case& c : cases) {
    const Run r = run("--device cpu --epochs 1 --data " + dir + " " + c.flag + " " + c.path);
    INFO(c.flag << " " << c.path << "\n" << r.out);
    CHECK(r.code == 1);  // docs/cli.md: a missing folder is what the run meets, as --log always was
    CHECK(r.out == "cudanet-train: error: " + c.flag + " " + c.path + ": cannot write: " + c.why + "\n");
    CHECK_THAT(r.out, !Catch::Contains("epoch 1/1"));
  }
}

namespace {

// One error line, exit status 1, no developer location ("[zoo.cpp:60]"),
// about the model description.
void check_one_line_error(const Run& r) {
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(lines(r.out) == 1);
  // From a checkpoint the line names it and its field first.
  CHECK_THAT(r.out, Catch::StartsWith("cudanet-train: error: model description") ||
                        (Catch::StartsWith("cudanet-train: error: checkpoint ") &&
                         Catch::Contains(": metadata 'model' is not a model: model description")));
  CHECK_THAT(r.out, !Catch::Contains(".cpp:") && !Catch::Contains(".h:"));
}

// A checkpoint of one epoch whose metadata names `model` (the tensors do not
// matter: the model is refused before they are read).
std::string checkpoint_with_model(const std::string& dir, const std::string& model) {
  const std::string ck = dir + "/model.safetensors";
  save_safetensors(ck, {{"model.0.weight", Tensor::zeros({3, 3})}},
                   {{"format", "cudanet-checkpoint"}, {"format_version", std::to_string(kCheckpointFormatVersion)},
                    {"model", model}, {"optimizer", "adam"}, {"epoch", "1"}, {"batch", "0"},
                    {"global_step", "1"}, {"seed", "0"}, {"rng_seed", "0"}, {"rng_offset", "0"}, {"lr", "0.001"}});
  return ck;
}

// `model` refused in one line by train, and from a checkpoint by eval, predict and --resume.
void check_refused_everywhere(const std::string& model, const std::string& name, const std::string& wanted) {
  const std::string dir = tiny_dataset(name, 20);
  const std::string ck = checkpoint_with_model(dir, model);
  for (const std::string& args :
       {"--device cpu --epochs 1 --model " + model + " --data " + dir,
        "--device cpu --epochs 2 --resume " + ck + " --data " + dir,
        "eval --device cpu --checkpoint " + ck + " --data " + dir,
        "predict --device cpu --checkpoint " + ck + " --images " + dir + "/t10k-images-idx3-ubyte"}) {
    const Run r = run(args);
    INFO(args.substr(0, 200));
    check_one_line_error(r);
    CHECK_THAT(r.out, Catch::Contains(wanted));
  }
}

}  // namespace

TEST_CASE("cli: a 100,000-character model description is one line, not a crash", "[cli]") {
  // The std::regex reader overflowed the stack (SIGSEGV), from --model and from a checkpoint.
  std::string model = "flatten-dense10";
  while (model.size() < 100000) model += "-relu";
  check_refused_everywhere(model, "cli-long-model", "(100000 characters) is longer than the limit of 4096 characters");
}

TEST_CASE("cli: model sizes beyond int are refused naming the token", "[cli]") {
  check_refused_everywhere("flatten-dense4294967306", "cli-model-int",
                           "'dense4294967306': the unit count 4294967306 is out of range [1, 2147483647]");
  check_refused_everywhere("conv32x99999999999-relu-flatten-dense10", "cli-model-kernel",
                           "'conv32x99999999999': the kernel size 99999999999 is out of range [1, 2147483647]");
}

TEST_CASE("cli: a model that does not end in class logits is refused before training", "[cli]") {
  // These failed after training started, with messages about confusion matrices and Adam.
  check_refused_everywhere("conv10x3-flatten", "cli-model-logits1", "produces (6760,) for an input (1, 28, 28), but a "
                                                                    "classifier of 10 classes needs logits (10,)");
  check_refused_everywhere("flatten", "cli-model-logits2", "'flatten' produces (784,)");
  check_refused_everywhere("conv4x3", "cli-model-logits3", "'conv4x3' produces (4, 26, 26)");
}

TEST_CASE("cli: a learning-rate schedule sets the rate of every step", "[cli]") {
  // 200 images, 20 held out: 3 steps of at most 64 per epoch, 6 steps in 2 epochs. The log's lr
  // is the rate of each epoch's last step, steps 2 and 5, computed here from the formulas.
  const std::string dir = tiny_dataset("cli-schedule", 200);
  auto last_step_rates = [&](const std::string& flags) {
    const std::string log = dir + "/lr.jsonl";
    Run r = run("--device cpu --quiet --epochs 2 --data " + dir + " --log " + log + " " + flags);
    REQUIRE(r.code == 0);
    std::ifstream in(log);
    std::vector<double> rates;
    for (std::string line; std::getline(in, line);) {
      const auto j = nlohmann::json::parse(line);
      if (j.contains("lr")) rates.push_back(j["lr"].get<double>());
    }
    REQUIRE(rates.size() == 2);
    return rates;
  };
  const double pi = std::numbers::pi;
  auto half_cosine = [&](double s, double steps) { return 0.5e-3 * (1 + std::cos(pi * s / steps)); };
  struct Case {
    const char* flags;
    double at2, at5;
  };
  const Case cases[] = {
      {"", 1e-3, 1e-3},
      {"--lr-schedule cosine", half_cosine(2, 6), half_cosine(5, 6)},
      // Two warm-up steps, then the cosine over the 4 steps left: step 2 is its first.
      {"--lr-schedule cosine --warmup-steps 2", 1e-3, half_cosine(3, 4)},
      {"--lr-schedule step --lr-step-size 2 --lr-gamma 0.5", 1e-3 * 0.5, 1e-3 * 0.25},
      // A flag given twice takes its last value (tools/run-main.sh relies on it).
      {"--lr-schedule exponential --lr-gamma 0.9 --lr 0.5 --lr 0.01", 0.01 * 0.81, 0.01 * std::pow(0.9, 5)},
  };
  for (const Case& c : cases) {
    INFO(c.flags);
    const auto rates = last_step_rates(c.flags);
    CHECK(rates[0] == Approx(c.at2).epsilon(1e-12));
    CHECK(rates[1] == Approx(c.at5).epsilon(1e-12));
  }
}

TEST_CASE("cli: schedule flags that do not fit the schedule are refused before any work", "[cli]") {
  // No --data: the flags are refused before the default folder would be read.
  Run a = run("--device cpu --lr-schedule cosine --lr-gamma 0.5");
  CHECK(a.code == 2);
  CHECK(lines(a.out) == 1);
  CHECK_THAT(a.out, Catch::Contains("--lr-gamma does not apply to --lr-schedule cosine"));
  Run b = run("--device cpu --lr-schedule step");
  CHECK(b.code == 2);
  CHECK_THAT(b.out, Catch::Contains("needs --lr-step-size"));
  Run c = run("--device cpu --lr-schedule linear");
  CHECK(c.code == 2);
  CHECK_THAT(c.out, Catch::Contains("linear"));
  Run d = run("--device cpu --lr-schedule cosine --lr-min 0.5 --data " + tiny_dataset("cli-lr-min", 20));
  CHECK(d.code == 2);
  CHECK_THAT(d.out, Catch::Contains("--lr-min 0.5: must not exceed the base rate 0.001"));
}

TEST_CASE("cli: --device cuda without a GPU is one clear line", "[cli]") {
  if (cuda_available()) skip_test("a GPU is present");
  Run r = run("--device cuda --data " + tiny_dataset("cli-nogpu", 20));
  CHECK(r.code == 1);
  CHECK(lines(r.out) == 1);
  CHECK_THAT(r.out, Catch::Contains("--device cuda") && Catch::Contains("use --device cpu"));
}

TEST_CASE("cli: out of host memory is one clear line", "[cli]") {
  // A dense layer of 784 x 10^9 weights needs 3 TB for its weights alone: the
  // memory estimate refuses it before anything is allocated (an allocation that
  // fails anyway is OutOfMemoryError, tested in test_train.cpp).
  Run r = run("--device cpu --model flatten-dense1000000000-dense10 --data " + tiny_dataset("cli-host-oom", 20));
  CHECK(r.code == 1);
  CHECK(lines(r.out) == 1);
  CHECK_THAT(r.out, Catch::Contains("needs about") && Catch::Contains("the host has") && Catch::Contains("available"));
}

TEST_CASE("cli: out of device memory is one clear line", "[cli][gpu]") {
  require_gpu();
  // One 32,768-channel 3x3 conv on 28x28: the first activation of the 4,500-image
  // batch (5,000 less the 10% validation split) is 4500 * 32768 * 26 * 26 * 4 B =
  // 399 GB, beyond any GPU (an H200 has 141 GB), so the first forward allocation
  // fails before any kernel runs. --quiet: else the header precedes the error line.
  Run r = run("--device cuda --quiet --batch-size 5000 --epochs 1 --model conv32768x3-maxpool2-flatten-dense10 --data " +
              tiny_dataset("cli-oom", 5000));
  CHECK(r.code == 1);
  CHECK(lines(r.out) == 1);
  // Refused by the memory estimate against the device's free memory, before the first allocation.
  CHECK_THAT(r.out, Catch::Contains("needs about") && Catch::Contains(" free") && Catch::Contains("--batch-size"));
}

TEST_CASE("cli: a checkpoint that does not fit is refused by eval", "[cli]") {
  const std::string dir = tiny_dataset("cli-ckpt", 50);
  const std::string ck = dir + "/bad.safetensors";
  save_safetensors(ck, {{"model.0.weight", Tensor::zeros({3, 3})}},
                   {{"format", "cudanet-checkpoint"}, {"format_version", std::to_string(kCheckpointFormatVersion)},
                    {"model", "seed-cnn"}, {"optimizer", "adam"}, {"epoch", "1"}, {"batch", "0"},
                    {"global_step", "1"}, {"seed", "0"}, {"rng_seed", "0"}, {"rng_offset", "0"}, {"lr", "0.001"}});
  Run r = run("eval --device cpu --data " + dir + " --checkpoint " + ck);
  CHECK(r.code == 1);
  CHECK(lines(r.out) == 1);
  CHECK_THAT(r.out, Catch::Contains("bad.safetensors") && Catch::Contains("0.weight"));
}

TEST_CASE("cli: train, save, eval, predict and resume on real digits", "[cli][data]") {
  const std::string dir = digits_dir();
  const std::string tmp = temp_dir("cli-e2e");
  const std::string ck = tmp + "/run.safetensors";
  Run t = run("--data " + dir + " --limit 600 --epochs 1 --device cpu --save " + ck + " --log " + tmp +
              "/log.jsonl --plot " + tmp + "/curves.svg");
  REQUIRE(t.code == 0);
  CHECK_THAT(t.out, Catch::Contains("epoch 1/1") && Catch::Contains("val_accuracy") &&
                        Catch::Contains("no test files"));
  CHECK(std::filesystem::file_size(ck) > 93322 * 4);
  std::ifstream log(tmp + "/log.jsonl");
  std::string first;
  std::getline(log, first);
  CHECK_THAT(first, Catch::StartsWith("{") && Catch::Contains("\"val_accuracy\""));
  std::ifstream svg(tmp + "/curves.svg");
  std::stringstream s;
  s << svg.rdbuf();
  CHECK_THAT(s.str(), Catch::Contains("<svg") && Catch::Contains("polyline") && Catch::EndsWith("</svg>\n"));

  Run more = run("--data " + dir + " --limit 600 --epochs 2 --device cpu --resume " + ck + " --save " + ck);
  REQUIRE(more.code == 0);
  CHECK_THAT(more.out, Catch::Contains("resuming at epoch 2") && Catch::Contains("epoch 2/2"));
  CHECK_THAT(more.out, !Catch::Contains("epoch 1/2"));

  // The digits folder has no test files: predict on its training images instead.
  Run p = run("predict --device cpu --checkpoint " + ck + " --images " + dir + "/train-images-idx3-ubyte.gz --output " +
              tmp + "/pred.txt");
  REQUIRE(p.code == 0);
  std::ifstream pred(tmp + "/pred.txt");
  int count = 0;
  for (std::string line; std::getline(pred, line); ++count) CHECK((line.size() == 1 && line[0] >= '0' && line[0] <= '9'));
  CHECK(count == 10000);
}

TEST_CASE("cli: Ctrl-C saves a checkpoint and exits cleanly", "[cli][data]") {
  const std::string dir = digits_dir();
  const std::string ck = temp_dir("cli-sigint") + "/int.safetensors";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const std::string exe = trainer();
    ::execl(exe.c_str(), exe.c_str(), "--data", dir.c_str(), "--epochs", "50", "--device", "cpu",
            "--quiet", "--save", ck.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::sleep(4);  // data loaded, training under way: 50 epochs take minutes
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  Checkpoint c = read_checkpoint(ck);
  CHECK(c.info.position.global_step > 0);
  CHECK(c.info.model.find("conv32x3") == 0);
}

namespace {

// The flags a help text lists (its option lines, not the ones its descriptions mention).
std::set<std::string> help_flags(const std::string& help) {
  std::set<std::string> flags;
  std::istringstream in(help);
  const std::regex option(R"(^\s+(?:-\w,)?(--[a-z0-9-]+))");
  std::smatch m;
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, m, option) && m[1] != "--help") flags.insert(m[1]);
  return flags;
}

// The flags docs/cli.md's synopsis gives `command`: its lines from "cudanet-train
// <command>" to the next command.
std::set<std::string> synopsis_flags(const std::string& command) {
  std::ifstream in(std::string(CUDANET_SOURCE_DIR) + "/docs/cli.md");
  REQUIRE(in);
  std::set<std::string> flags;
  bool inside = false;
  const std::regex flag(R"(--[a-z0-9][a-z0-9-]*)");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("    cudanet-train ", 0) == 0) inside = line.rfind("    cudanet-train " + command, 0) == 0;
    else if (line.rfind("        ", 0) != 0) inside = false;
    if (!inside) continue;
    for (std::sregex_iterator it(line.begin(), line.end(), flag), end; it != end; ++it) flags.insert(it->str());
  }
  return flags;
}

}  // namespace

TEST_CASE("cli: the help and docs/cli.md's synopsis list the same flags", "[cli]") {
  // README.md says --help leads to every flag: the top-level help names each command's help.
  const Run top = run("--help");
  CHECK(top.code == 0);
  CHECK_THAT(top.out, Catch::Contains("cudanet-train train --help") && Catch::Contains("cudanet-train eval --help") &&
                          Catch::Contains("cudanet-train predict --help") &&
                          Catch::Contains("cudanet-train export --help"));
  for (const std::string command : {"train", "eval", "predict", "export"}) {
    const Run r = run(command + " --help");
    REQUIRE(r.code == 0);
    const std::set<std::string> in_help = help_flags(r.out);
    const std::set<std::string> in_docs = synopsis_flags(command == "train" ? "[train]" : command);
    INFO(command);
    CHECK(in_help.size() >= 2);  // export has two
    CHECK(in_help == in_docs);
  }
}
