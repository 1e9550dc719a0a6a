// cudanet-train: argument parsing and the one place errors become a message.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "apps/export_cli.h"
#include "apps/train_cli.h"
#include "core/device.h"
#include "core/error.h"

namespace {

const char* kDefaultData = "/usr/share/datasets/fashion-mnist";

// Whether s[at..] opens a developer location, " [file.cpp:12]" or " [file.cpp:12: expr]".
bool is_location(const std::string& s, size_t at) {
  size_t i = at + 2;
  const size_t name = i;
  while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
    ++i;
  if (i == name || i == s.size() || s[i] != ':') return false;
  if (s.substr(name, i - name).find('.') == std::string::npos) return false;
  const size_t line = ++i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  return i > line && i < s.size() && (s[i] == ']' || s[i] == ':');
}

// "message [file.cpp:12: expr] [zoo.cpp:60]" -> "message": the locations, one per
// layer of wrapping, are for developers. A report of several lines (every
// checkpoint mismatch) becomes one line.
std::string user_message(const char* what) {
  std::string s = what;
  while (!s.empty() && s.back() == ']') {
    size_t at = s.rfind(" [");
    while (at != std::string::npos && !is_location(s, at)) at = at == 0 ? std::string::npos : s.rfind(" [", at - 1);
    if (at == std::string::npos) break;
    s.resize(at);
  }
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\n') {
      out += s[i];
      continue;
    }
    while (i + 1 < s.size() && s[i + 1] == ' ') ++i;
    if (i + 1 < s.size()) out += "; ";
  }
  return out;
}

// Refuses a --device value while parsing (a usage error); whether the device is
// there is found out later.
CLI::Validator device_spec() {
  return CLI::Validator(
      [](std::string& spec) -> std::string {
        try {
          cudanet::Device::parse(spec);
          return {};
        } catch (const cudanet::Error& e) {
          return user_message(e.what());
        }
      },
      "DEVICE");
}

// The accepted range in words: "from 1 to 100000", "of 0 or more", "above 0, at most 1".
// A double's largest value reads "or more" (309 digits say nothing); an integer's
// is printed, so a value that overflows is never told it lies in the range.
template <class T>
std::string range_text(T lo, T hi, bool lo_open) {
  auto text = [](T v) {
    if constexpr (std::is_integral_v<T>) {
      return std::to_string(v);
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", v);
      return std::string(buf);
    }
  };
  const bool unbounded = std::is_floating_point_v<T> && hi == std::numeric_limits<T>::max();
  if (lo_open) return "above " + text(lo) + (unbounded ? "" : ", at most " + text(hi));
  return unbounded ? "of " + text(lo) + " or more" : "from " + text(lo) + " to " + text(hi);
}

// The one check of every numeric flag, run on the text before CLI11 converts it
// (CLI11's Range lets NaN through, and its integer conversion saturates): the whole
// text must be a number of type T, finite, without overflow, within [lo, hi]
// ((lo, hi] when lo_open).
template <class T>
CLI::Validator number_in(T lo, T hi = std::numeric_limits<T>::max(), bool lo_open = false) {
  const std::string range = range_text(lo, hi, lo_open);
  const char* kind = std::is_integral_v<T> ? "an integer " : "a finite number ";
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        T v{};
        bool parsed;
        if constexpr (std::is_integral_v<T>) {
          const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
          parsed = !s.empty() && ec == std::errc() && end == s.data() + s.size();
        } else {
          char* end = nullptr;
          v = std::strtod(s.c_str(), &end);
          parsed = !s.empty() && !std::isspace(static_cast<unsigned char>(s[0])) && end == s.c_str() + s.size() &&
                   std::isfinite(v);
        }
        if (parsed && (lo_open ? v > lo : v >= lo) && v <= hi) return {};
        return s + " is not " + kind + range;
      },
      range.rfind("of ", 0) == 0 ? range.substr(3) : range);
}

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "cudanet-train: error: %s\n", user_message(message.c_str()).c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cudanet::app;
  CLI::App app{"cudanet-train: train, evaluate and run convolutional networks with cudanet"};
  app.name("cudanet-train");
  app.require_subcommand(0, 1);
  // A flag given twice takes the last value, as most command-line tools do, so a
  // wrapper's flags (tools/run-main.sh) can be overridden by the arguments after them.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  TrainArgs t;
  t.data = kDefaultData;
  auto* train = app.add_subcommand("train", "train a model (the default command)");
  train->add_option("--data", t.data, "dataset folder with MNIST-style IDX files")->capture_default_str();
  train->add_option("--model", t.model, "seed-cnn, lenet5, mlp or a description such as conv32x3-relu-pool2-flatten-dense10")
      ->capture_default_str();
  train->add_option("--epochs", t.epochs, "epochs")->capture_default_str()->check(number_in(1, cudanet::kMaxEpochs));
  train->add_option("--batch-size", t.batch_size, "batch size")->capture_default_str()->check(number_in(1, cudanet::kMaxBatchSize));
  train->add_option("--optimizer", t.optimizer, "optimizer")
      ->capture_default_str()
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(cudanet::kOptimizerNames), std::end(cudanet::kOptimizerNames))));
  train->add_option("--lr", t.lr, "learning rate (default: the optimizer's: adam 1e-3, sgd 0.01, ...)")
      ->check(number_in(0.0));
  train->add_option("--momentum", t.momentum, "momentum (sgd, rmsprop)")->check(number_in(0.0, 1.0));
  train->add_option("--weight-decay", t.weight_decay, "weight decay")->check(number_in(0.0));
  train->add_option("--val-split", t.val_split, "fraction of the training data held out for validation (the last part, as Keras)")
      ->capture_default_str()
      ->check(number_in(0.0, 0.99));
  train->add_option("--lr-schedule", t.lr_schedule, "learning-rate schedule: constant, step, exponential or cosine")
      ->capture_default_str()
      ->check(CLI::IsMember({"constant", "step", "exponential", "cosine"}));
  train->add_option("--warmup-steps", t.warmup_steps, "linear warm-up over this many steps before the schedule")
      ->check(number_in<int64_t>(0));
  train->add_option_function<int64_t>("--lr-step-size", [&](const int64_t& v) { t.lr_step_size = v; },
                                      "step schedule: steps between two decays by --lr-gamma")
      ->check(number_in<int64_t>(1));
  train->add_option_function<double>("--lr-gamma", [&](const double& v) { t.lr_gamma = v; },
                                     "step and exponential schedules: the decay factor, in (0, 1]")
      ->check(number_in(0.0, 1.0, true));
  train->add_option_function<int64_t>("--lr-decay-steps", [&](const int64_t& v) { t.lr_decay_steps = v; },
                                      "cosine schedule: steps from the base rate to --lr-min (default: the whole run)")
      ->check(number_in<int64_t>(1));
  train->add_option_function<double>("--lr-min", [&](const double& v) { t.lr_min = v; },
                                     "cosine schedule: the floor it decays to (default 0)")
      ->check(number_in(0.0));
  train->add_option("--clip-norm", t.clip_norm, "clip gradients to this global norm (0: off)")->check(number_in(0.0));
  train->add_option("--device", t.device, "auto, cpu, cuda or cuda:N")->capture_default_str()->check(device_spec());
  train->add_option("--conv-algo", t.conv_algo, "convolution: auto, native or cudnn")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "native", "cudnn"}));
  train->add_option("--gemm-algo", t.gemm_algo, "dense GEMM: auto, native or cublas")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "native", "cublas"}));
  train->add_option("--pool-algo", t.pool_algo, "pooling: auto, native or cudnn")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "native", "cudnn"}));
  train->add_flag("--tf32", t.tf32, "allow TF32 tensor-core math in cuBLAS/cuDNN (faster, ~1e-3 relative error)");
  train->add_option("--seed", t.seed, "seed for initialisation, shuffling and dropout")
      ->capture_default_str()
      ->check(number_in<uint64_t>(0));
  train->add_option("--limit", t.limit, "train on the first N training images only")->check(number_in<int64_t>(0));
  train->add_flag("--standardize", t.standardize, "standardise pixels to zero mean and unit variance");
  train->add_option("--save", t.save,
                    "write a checkpoint here after every epoch and on Ctrl-C; a pattern such as run-{epoch:02d}.safetensors "
                    "writes one per epoch");
  train->add_option("--resume", t.resume, "continue training from this checkpoint (its settings unless given)");
  train->add_option("--log", t.log, "write one JSON object per epoch (and the test metrics) to this .jsonl file");
  train->add_option("--plot", t.plot, "write the loss and accuracy curves to this .svg file");
  train->add_option("--threads", t.threads, "CPU threads (0: all cores)")->check(number_in(0, 1024));
  train->add_flag("--quiet", t.quiet, "print only the final result");
  train->add_flag("!--no-terminate-on-nan", t.terminate_on_nan,
                  "train on when the loss becomes NaN or infinite (by default training stops there, as Keras's "
                  "TerminateOnNaN)");
  // Keras's callbacks (train/callbacks.h) and the loss.
  train->add_option("--loss", t.loss, "cross_entropy, or mse on the softmax probabilities against one-hot labels")
      ->capture_default_str()
      ->check(CLI::IsMember({"cross_entropy", "mse"}));
  train->add_option("--label-smoothing", t.label_smoothing, "cross-entropy against (1 - X) one-hot + X / classes")
      ->check(number_in(0.0, 1.0));
  train->add_option("--monitor", t.monitor,
                    "what --early-stopping, --reduce-lr-on-plateau and --save-best-only watch: loss, accuracy, val_loss "
                    "or val_accuracy (default: val_loss, or loss without a validation split)")
      ->check(CLI::IsMember({"loss", "accuracy", "val_loss", "val_accuracy"}));
  train->add_option("--monitor-mode", t.monitor_mode, "auto (max for an accuracy, else min), min or max")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "min", "max"}));
  train->add_option_function<int>("--early-stopping", [&](const int& v) { t.early_stopping = v; },
                                  "stop after N epochs without an improvement of --monitor")
      ->check(number_in(0, cudanet::kMaxEpochs));
  train->add_option("--min-delta", t.min_delta, "early stopping: the least change that counts as an improvement")
      ->check(number_in(0.0));
  train->add_flag("--restore-best-weights", t.restore_best_weights,
                  "early stopping: end with the weights of the best epoch (stopped early or not)");
  train->add_flag("--save-best-only", t.save_best_only, "write --save only when --monitor improves");
  train->add_option_function<int>("--reduce-lr-on-plateau", [&](const int& v) { t.plateau = v; },
                                  "multiply the learning rate by --plateau-factor after N epochs without an improvement "
                                  "of --monitor (a schedule is scaled)")
      ->check(number_in(0, cudanet::kMaxEpochs));
  train->add_option("--plateau-factor", t.plateau_factor, "reduce lr on plateau: the factor, in (0, 1)")
      ->capture_default_str()
      ->check(number_in(0.0, 0.999999, true));
  train->add_option("--plateau-min-lr", t.plateau_min_lr, "reduce lr on plateau: the floor of the rate")
      ->capture_default_str()
      ->check(number_in(0.0));
  train->add_option("--plateau-cooldown", t.plateau_cooldown, "reduce lr on plateau: epochs to wait after a reduction")
      ->capture_default_str()
      ->check(number_in(0, cudanet::kMaxEpochs));
  train->add_option("--plateau-min-delta", t.plateau_min_delta,
                    "reduce lr on plateau: the least change that counts as an improvement")
      ->capture_default_str()
      ->check(number_in(0.0));
  train->add_option("--csv-log", t.csv_log, "write one CSV row per epoch to this file (a resumed run appends)");
  train->add_flag("--distributed", t.distributed,
                  "train data-parallel on the processes mpirun starts, one per device (cuda:(local rank), or the "
                  "CPU); --batch-size is per process");

  EvalArgs e;
  e.data = kDefaultData;
  auto* eval = app.add_subcommand("eval", "evaluate a checkpoint on a dataset folder's test files");
  eval->add_option("--data", e.data, "dataset folder")->capture_default_str();
  eval->add_option("--checkpoint", e.checkpoint, "checkpoint file")->required();
  eval->add_option("--device", e.device, "auto, cpu, cuda or cuda:N")->capture_default_str()->check(device_spec());
  eval->add_option("--batch-size", e.batch_size, "batch size")->capture_default_str()->check(number_in(1, cudanet::kMaxBatchSize));

  PredictArgs p;
  auto* predict = app.add_subcommand("predict", "the predicted class, or the class probabilities, of every image in an IDX file");
  predict->add_option("--checkpoint", p.checkpoint, "checkpoint file")->required();
  predict->add_option("--images", p.images, "IDX images (N, H, W), plain or .gz")->required();
  predict->add_option("--output", p.output,
                      "write here instead of standard output; by extension: FILE.csv the softmax probabilities "
                      "(class,p0,p1,...), FILE.npy the (N, K) float32 probability matrix, any other name the "
                      "classes, one per line");
  predict->add_option("--device", p.device, "auto, cpu, cuda or cuda:N")->capture_default_str()->check(device_spec());
  predict->add_option("--batch-size", p.batch_size, "batch size")->capture_default_str()->check(number_in(1, cudanet::kMaxBatchSize));
  predict->add_option("--top-k", p.top_k,
                      "the N most probable classes of each image, best first, N up to the class count: as text N "
                      "classes a line, in a .csv class,top1,p_top1,...; not with a .npy")
      ->check(number_in(1));

  ExportArgs x;
  auto* exportc = app.add_subcommand(
      "export", "write a checkpoint's model as an ONNX graph: raw pixels in, logits and probabilities out");
  exportc->add_option("--checkpoint", x.checkpoint, "checkpoint file")->required();
  exportc->add_option("--onnx", x.onnx, "the ONNX file to write (replaced atomically)")->required();

  // Set after the subcommands, which would copy it.
  app.footer("train is the default command: `cudanet-train --data DIR` trains. Every flag of a command:\n"
             "  cudanet-train train --help, cudanet-train eval --help, cudanet-train predict --help,\n"
             "  cudanet-train export --help");

  // `cudanet-train --data X` means `cudanet-train train --data X`.
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool named = !args.empty() && (args[0] == "train" || args[0] == "eval" || args[0] == "predict" ||
                                       args[0] == "export" || args[0] == "-h" || args[0] == "--help");
  if (!named) args.insert(args.begin(), "train");
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::ParseError& err) {
    if (err.get_exit_code() == 0) return app.exit(err);  // --help
    // Command-line errors exit with 2, as getopt tools do.
    return fail(err.what(), 2);
  }
  for (const CLI::Option* o : train->get_options())
    if (o->count() > 0) t.given.insert(o->get_name());

  try {
    if (*eval) return run_eval(e);
    if (*predict) return run_predict(p);
    if (*exportc) return run_export(x);
    return run_train(t);
  } catch (const UsageError& err) {
    return fail(err.what(), 2);
  } catch (const std::exception& err) {
    return fail(err.what(), 1);
  }
}
