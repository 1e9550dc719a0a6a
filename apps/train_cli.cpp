// cudanet-train's commands: what a person sees around fit(), evaluate() and predict().
#include "apps/train_cli.h"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/ops.h"
#include "io/file_io.h"
#include "io/idx.h"
#include "io/mnist.h"
#include "core/threads.h"
#include "layers/zoo.h"
#include "optim/schedule.h"
#include "train/checkpoint.h"
#include "train/fit.h"
#include "train/progress.h"

namespace cudanet::app {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_sigint(int) { g_interrupted = 1; }

const std::vector<std::string>& fashion_names() {
  static const std::vector<std::string> n{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return n;
}
bool is_fashion(const std::string& dir) { return dir.find("fashion") != std::string::npos; }

Device pick_device(const std::string& spec) {
  Device d = Device::parse(spec);
  if (d.is_cuda()) {
    CUDANET_CHECK(cuda_available(), "--device ", spec, ": no usable GPU: ", cuda_unavailable_reason(),
                  " (use --device cpu)");
    require_device(d);
  }
  return d;
}

std::string device_line(const Device& d) {
  if (d.is_cpu()) return "cpu (" + std::to_string(num_threads()) + " threads)";
  return d.str() + " " + cuda_device_description(d.index);
}

// One JSON object per line, appended as training goes.
class JsonLog {
 public:
  explicit JsonLog(const std::string& path) {
    if (path.empty()) return;
    f_ = std::fopen(path.c_str(), "w");
    CUDANET_CHECK(f_ != nullptr, "--log ", path, ": cannot open for writing: ", std::strerror(errno));
  }
  ~JsonLog() {
    if (f_) std::fclose(f_);
  }
  void write(const nlohmann::json& j) {
    if (!f_) return;
    std::fprintf(f_, "%s\n", j.dump().c_str());
    std::fflush(f_);
  }

 private:
  std::FILE* f_ = nullptr;
};

nlohmann::json metrics_json(const Metrics& m) {
  nlohmann::json j{{"loss", m.loss}, {"accuracy", m.accuracy}, {"samples", m.samples}};
  for (const auto& c : m.per_class)
    j["per_class"].push_back({{"precision", c.precision}, {"recall", c.recall}, {"f1", c.f1}, {"support", c.support}});
  j["confusion"] = m.confusion;
  return j;
}

void print_test(const Metrics& m, const std::string& dir, bool quiet) {
  std::printf("test accuracy: %.4f  (loss %.4f, %lld images)\n", m.accuracy, m.loss,
              static_cast<long long>(m.samples));
  if (!quiet) std::printf("\n%s", m.table(is_fashion(dir) ? fashion_names() : std::vector<std::string>{}).c_str());
}

bool has_test_split(const std::string& dir) {
  try {
    find_mnist_files(dir, MnistSplit::Test);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// A flag the chosen schedule does not use is refused rather than ignored;
// checked before any data is read.
void check_schedule_flags(const TrainArgs& a) {
  const std::string& s = a.lr_schedule;
  auto refuse = [&](bool set, const char* flag, const char* applies_to) {
    CUDANET_CHECK(!set, flag, " does not apply to --lr-schedule ", s, " (only to ", applies_to, ")");
  };
  refuse(a.lr_step_size && s != "step", "--lr-step-size", "step");
  refuse(a.lr_gamma && s != "step" && s != "exponential", "--lr-gamma", "step and exponential");
  refuse(a.lr_decay_steps && s != "cosine", "--lr-decay-steps", "cosine");
  refuse(a.lr_min && s != "cosine", "--lr-min", "cosine");
  CUDANET_CHECK(s != "step" || a.lr_step_size, "--lr-schedule step needs --lr-step-size N (steps between decays)");
  CUDANET_CHECK(s != "exponential" || a.lr_gamma, "--lr-schedule exponential needs --lr-gamma X (the factor per step)");
}

// The schedule the flags ask for, or none for a constant rate without warm-up.
std::unique_ptr<LrSchedule> make_schedule(const TrainArgs& a, double base_lr, int64_t total_steps) {
  const std::string& s = a.lr_schedule;
  if (s == "constant" && a.warmup_steps == 0) return nullptr;
  CUDANET_CHECK(!a.lr_min || *a.lr_min <= base_lr, "--lr-min ", *a.lr_min, ": must not exceed the base rate ", base_lr);
  LrScheduleOptions o;
  o.base_lr = base_lr;
  o.warmup_steps = a.warmup_steps;
  o.step_size = a.lr_step_size;
  o.gamma = a.lr_gamma;
  if (s == "cosine") {
    // By default the cosine reaches its floor with the last step of the run, as Keras's CosineDecay
    // with decay_steps = epochs * steps_per_epoch.
    o.decay_steps = a.lr_decay_steps.value_or(std::max<int64_t>(1, total_steps - a.warmup_steps));
    o.min_lr = a.lr_min;
  }
  return make_lr_schedule(s, o);
}

std::string schedule_text(const LrSchedule* schedule) {
  if (!schedule) return "";
  std::string t = std::string(", ") + schedule->name() + " schedule";
  if (schedule->warmup_steps() > 0) t += " after " + std::to_string(schedule->warmup_steps()) + " warm-up steps";
  return t;
}

}  // namespace

int run_train(const TrainArgs& a) {
  check_schedule_flags(a);
  // A malformed --model is refused before any data is read; its shapes are checked
  // once the images' shape is known.
  if (a.resume.empty()) parse_model(model_description(a.model));
  set_num_threads(a.threads);
  const Device device = pick_device(a.device);
  set_default_algo(OpFamily::Conv, parse_algo(OpFamily::Conv, a.conv_algo));
  set_default_algo(OpFamily::Gemm, parse_algo(OpFamily::Gemm, a.gemm_algo));
  set_default_algo(OpFamily::Pool, parse_algo(OpFamily::Pool, a.pool_algo));
  set_allow_tf32(a.tf32);

  // ---- data: Keras's split (the last fraction, before shuffling) ----
  MnistOptions mo;
  mo.limit = a.limit;
  mo.standardize = a.standardize;
  Dataset all = load_mnist(a.data, mo);
  TrainValSplit split = split_last(all, a.val_split);

  // ---- model and optimizer, or the state of a checkpoint ----
  Checkpoint ckpt;
  std::string description = model_description(a.model);
  if (!a.resume.empty()) {
    ckpt = read_checkpoint(a.resume);
    description = ckpt.info.model;
  }
  Generator init(a.seed);
  const Shape input{split.train.images.size(1), split.train.images.size(2), split.train.images.size(3)};
  auto model = build_classifier(description, input, all.num_classes, init);
  model->to(device);
  OptimizerOptions oo;
  if (a.lr >= 0) oo.lr = a.lr;
  if (a.momentum >= 0) oo.momentum = a.momentum;
  if (a.weight_decay >= 0) oo.weight_decay = a.weight_decay;
  auto optimizer = make_optimizer(a.optimizer, model->parameters(), oo);
  const int64_t steps_per_epoch = (split.train.size() + a.batch_size - 1) / a.batch_size;
  const auto schedule = make_schedule(a, optimizer->lr(), steps_per_epoch * a.epochs);
  manual_seed(a.seed);
  FitOptions fo;
  fo.epochs = a.epochs;
  fo.batch_size = a.batch_size;
  fo.seed = a.seed;
  fo.clip_norm = a.clip_norm;
  fo.schedule = schedule.get();
  if (!a.resume.empty()) {
    restore_model(*model, ckpt, a.resume);
    restore_optimizer(*optimizer, ckpt, a.resume);
    default_generator().set_state(ckpt.info.rng_seed, ckpt.info.rng_offset);
    fo.seed = ckpt.info.seed;
    fo.resume = ckpt.info.position;
  }

  if (!a.quiet) {
    std::printf("cudanet-train: device %s\n", device_line(device).c_str());
    if (device.is_cuda())
      std::printf("algorithms: conv %s, gemm %s, pool %s, tf32 %s\n", a.conv_algo.c_str(), a.gemm_algo.c_str(),
                  a.pool_algo.c_str(), a.tf32 ? "on" : "off");
    std::printf("data: %s: %lld training, %lld validation images\n", a.data.c_str(),
                static_cast<long long>(split.train.size()), static_cast<long long>(split.val.size()));
    std::printf("model: %s\n%s", description.c_str(), model->summary(input).c_str());
    std::printf("optimizer: %s, lr %g%s, batch %d, %d epochs%s\n", optimizer->name(),
                schedule ? schedule->base_lr() : optimizer->lr(), schedule_text(schedule.get()).c_str(), a.batch_size,
                a.epochs, a.resume.empty() ? "" : (", resuming at epoch " + std::to_string(fo.resume.epoch + 1)).c_str());
    std::fflush(stdout);
  }

  JsonLog log(a.log);
  ProgressBar bar(stderr);
  const bool show_bar = bar.active() && !a.quiet;
  fo.progress_due = [&] { return show_bar && bar.due(); };
  int bar_epoch = -1;
  fo.on_progress = [&](int epoch, int64_t done, int64_t total, double loss, double acc) {
    if (epoch != bar_epoch) bar.start(epoch + 1, a.epochs, total), bar_epoch = epoch;
    bar.draw(done, loss, acc);
  };
  auto make_info = [&](const TrainPosition& pos) {
    CheckpointInfo info;
    info.model = description;
    info.optimizer = a.optimizer;
    info.position = pos;
    info.seed = fo.seed;
    info.rng_seed = default_generator().seed();
    info.rng_offset = default_generator().offset();
    info.lr = optimizer->lr();
    return info;
  };
  std::vector<EpochStats> history;
  fo.on_epoch_end = [&](const EpochStats& s) {
    if (show_bar) bar.finish();
    history.push_back(s);
    if (!a.quiet) {
      std::printf("epoch %d/%d  loss %.4f  accuracy %.4f", s.epoch, a.epochs, s.loss, s.accuracy);
      if (s.has_val) std::printf("  val_loss %.4f  val_accuracy %.4f", s.val_loss, s.val_accuracy);
      std::printf("  %s  %.0f images/s\n", format_duration(s.seconds).c_str(), s.images_per_second);
      std::fflush(stdout);
    }
    nlohmann::json j{{"epoch", s.epoch},       {"loss", s.loss},     {"accuracy", s.accuracy},
                     {"seconds", s.seconds},   {"images_per_second", s.images_per_second},
                     {"lr", optimizer->lr()}};
    if (s.has_val) j["val_loss"] = s.val_loss, j["val_accuracy"] = s.val_accuracy;
    log.write(j);
    if (!a.save.empty()) save_checkpoint(a.save, *model, optimizer.get(), make_info({s.epoch, 0, optimizer->step_count()}));
    if (!a.plot.empty()) write_training_plot(a.plot, history, "cudanet: " + description);
  };
  TrainPosition stopped;
  fo.should_stop = [] { return g_interrupted != 0; };
  fo.stopped_at = &stopped;
  std::signal(SIGINT, on_sigint);

  fit(*model, *optimizer, cross_entropy_loss(), split.train, split.val, fo);
  std::signal(SIGINT, SIG_DFL);

  if (g_interrupted) {
    if (show_bar) bar.finish();
    if (!a.save.empty()) {
      save_checkpoint(a.save, *model, optimizer.get(), make_info(stopped));
      std::printf("interrupted at epoch %d, batch %lld: checkpoint saved to %s (continue with --resume %s)\n",
                  stopped.epoch + 1, static_cast<long long>(stopped.batch), a.save.c_str(), a.save.c_str());
    } else {
      std::printf("interrupted at epoch %d, batch %lld (no --save given: nothing written)\n", stopped.epoch + 1,
                  static_cast<long long>(stopped.batch));
    }
    return kInterrupted;
  }

  if (!has_test_split(a.data)) {
    std::printf("no test files in %s: skipping the test evaluation\n", a.data.c_str());
    return 0;
  }
  MnistOptions to;
  to.split = MnistSplit::Test;
  to.standardize = a.standardize;
  to.mean = all.pixel_mean;
  to.stddev = all.pixel_std;
  Dataset test = load_mnist(a.data, to);
  Metrics m = evaluate(*model, cross_entropy_loss(), test, 256, all.num_classes);
  print_test(m, a.data, a.quiet);
  nlohmann::json j{{"test", metrics_json(m)}};
  log.write(j);
  return 0;
}

int run_eval(const EvalArgs& a) {
  const Device device = pick_device(a.device);
  Checkpoint ckpt = read_checkpoint(a.checkpoint);
  MnistOptions to;
  to.split = MnistSplit::Test;
  Dataset test = load_mnist(a.data, to);
  const Shape input{test.images.size(1), test.images.size(2), test.images.size(3)};
  auto model = build_classifier(ckpt.info.model, input, test.num_classes);
  restore_model(*model, ckpt, a.checkpoint);
  model->to(device);
  std::printf("model: %s (epoch %d)\n", ckpt.info.model.c_str(), ckpt.info.position.epoch);
  print_test(evaluate(*model, cross_entropy_loss(), test, a.batch_size, test.num_classes), a.data, false);
  return 0;
}

int run_predict(const PredictArgs& a) {
  const Device device = pick_device(a.device);
  Checkpoint ckpt = read_checkpoint(a.checkpoint);
  Tensor images = idx_to_tensor(read_idx(a.images));
  CUDANET_CHECK(images.dim() == 3 || images.dim() == 4, "--images ", a.images,
                ": expected IDX images (N, H, W), got shape ", images.shape().str());
  if (images.dim() == 3) images = images.reshape({images.size(0), 1, images.size(1), images.size(2)});
  // Pixels are scaled as in training: u8 to [0, 1].
  images = images.dtype() == DType::u8 ? scale(cast(images, DType::f32), 1.0 / 255.0) : cast(images, DType::f32);
  const Shape input{images.size(1), images.size(2), images.size(3)};
  // Every model cudanet-train trains ends in the logits of the datasets' classes.
  auto model = build_classifier(ckpt.info.model, input, MnistOptions{}.num_classes);
  restore_model(*model, ckpt, a.checkpoint);
  model->to(device);
  auto classes = predict(*model, images, a.batch_size).to_vector<int32_t>();
  std::string text;
  for (int32_t c : classes) text += std::to_string(c) + "\n";
  if (a.output.empty()) std::fwrite(text.data(), 1, text.size(), stdout);
  else write_file_atomic(a.output, text.data(), text.size());
  return 0;
}

}  // namespace cudanet::app
