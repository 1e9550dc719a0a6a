// cudanet-train's commands: what a person sees around fit(), evaluate() and predict().
#include "apps/train_cli.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <numeric>
#include <thread>
#include <fstream>
#include <nlohmann/json.hpp>

#include "apps/json_log.h"
#include "apps/train_callbacks.h"
#include "core/cpu_capability.h"
#include "core/ops.h"
#include "io/file_io.h"
#include "io/idx.h"
#include "io/mnist.h"
#include "io/npy.h"
#include "core/threads.h"
#include "dist/communicator.h"
#include "layers/zoo.h"
#include "optim/schedule.h"
#include "train/callbacks.h"
#include "train/checkpoint.h"
#include "train/fit.h"
#include "train/losses.h"
#include "train/memory_estimate.h"
#include "train/plot.h"
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
  if (d.is_cpu()) return "cpu (" + std::string(cpu_capability()) + ", " + std::to_string(num_threads()) + " threads)";
  return d.str() + " " + cuda_device_description(d.index);
}

nlohmann::json metrics_json(const Metrics& m) {
  nlohmann::json j{{"loss", m.loss}, {"accuracy", m.accuracy}, {"samples", m.samples}};
  for (const auto& c : m.per_class)
    j["per_class"].push_back({{"precision", c.precision}, {"recall", c.recall}, {"f1", c.f1}, {"support", c.support}});
  for (const auto& [name, a] : {std::pair<const char*, const AveragedMetrics&>{"macro", m.macro},
                                {"weighted", m.weighted}, {"micro", m.micro}})
    j[name] = {{"precision", a.precision}, {"recall", a.recall}, {"f1", a.f1}};
  if (!m.rank_counts.empty() && m.num_classes > kTopK) j["top_" + std::to_string(kTopK) + "_accuracy"] = m.top_k_accuracy(kTopK);
  j["confusion"] = m.confusion;
  return j;
}

void print_test(const Metrics& m, const std::string& dir, bool quiet) {
  std::printf("test accuracy: %.4f  (loss %.4f, %lld images)\n", m.accuracy, m.loss,
              static_cast<long long>(m.samples));
  if (!quiet) std::printf("\n%s", m.table(is_fashion(dir) ? fashion_names() : std::vector<std::string>{}).c_str());
}

// The folder's test files, or none. One of the pair without the other is a
// warning naming the missing one; the test evaluation is then skipped.
std::optional<MnistFiles> test_files(const std::string& dir) {
  std::string tried;
  const MnistFiles f = locate_mnist_files(dir, MnistSplit::Test, &tried);
  if (!f.images.empty() && !f.labels.empty()) return f;
  if (!f.images.empty() || !f.labels.empty()) {
    const bool images = !f.images.empty();
    std::fprintf(stderr, "cudanet-train: warning: %s has test %s %s but no test %s (looked for %s): the test evaluation is skipped\n",
                 dir.c_str(), images ? "images" : "labels", (images ? f.images : f.labels).c_str(),
                 images ? "labels" : "images", tried.c_str());
  }
  return std::nullopt;
}

// Throws UsageError (exit status 2) unless `ok`, with the parts joined.
template <class... Args>
void usage_check(bool ok, const Args&... parts) {
  if (!ok) throw UsageError(detail::cat(parts...));
}

std::string num(double v) { return detail::cat(v); }  // "0.001", "0.5"

// The device of one process of a --distributed run: cuda:(its local rank) for
// auto and cuda, the CPU for cpu. A fixed cuda:N would put every process on one card.
Device rank_device(const std::string& spec, const Communicator& comm) {
  const Device d = Device::parse(spec);
  if (d.is_cpu()) return d;
  usage_check(spec == "auto" || spec == "cuda" || comm.size() == 1, "--device ", spec,
              " with --distributed: each process takes cuda:(its local rank); give --device cuda, auto or cpu");
  if (spec == "auto") return comm.local_device();
  return pick_device("cuda:" + std::to_string(comm.local_rank()));
}

// A flag the chosen schedule does not use is refused rather than ignored;
// checked before any data is read.
void check_schedule_flags(const TrainArgs& a) {
  const std::string& s = a.lr_schedule;
  auto refuse = [&](bool set, const char* flag, const char* applies_to) {
    usage_check(!set, flag, " does not apply to --lr-schedule ", s, " (only to ", applies_to, ")");
  };
  refuse(a.lr_step_size && s != "step", "--lr-step-size", "step");
  refuse(a.lr_gamma && s != "step" && s != "exponential", "--lr-gamma", "step and exponential");
  refuse(a.lr_decay_steps && s != "cosine", "--lr-decay-steps", "cosine");
  refuse(a.lr_min && s != "cosine", "--lr-min", "cosine");
  usage_check(s != "step" || a.lr_step_size, "--lr-schedule step needs --lr-step-size N (steps between decays)");
  usage_check(s != "exponential" || a.lr_gamma, "--lr-schedule exponential needs --lr-gamma X (the factor per step)");
}

// "mse", "cross_entropy with label smoothing 0.1".
std::string loss_text(const std::string& loss, double label_smoothing) {
  return label_smoothing > 0 ? loss + " with label smoothing " + num(label_smoothing) : loss;
}



// The same for the optimizer's flags, in the command line's words (the library's
// error would list options the command line cannot set).
void check_optimizer_flags(const TrainArgs& a) {
  usage_check(a.momentum < 0 || a.optimizer == "sgd" || a.optimizer == "rmsprop",
              "--momentum does not apply to --optimizer ", a.optimizer, " (only to sgd and rmsprop)");
}

// The run's settings on --resume: what the command line leaves out comes from the
// checkpoint; a flag given must agree with it, except those a resumed run can
// honour (--lr, --epochs, --batch-size at an epoch's end), which are reported in
// `notes`. Checkpoints from before a setting was stored leave it to the flags.
TrainArgs resume_settings(const TrainArgs& a, const CheckpointInfo& c, int world, std::vector<std::string>& notes) {
  TrainArgs r = a;
  const std::string from = "the checkpoint " + a.resume;
  usage_check(!a.has("--model") || model_description(a.model) == c.model, "--model ", a.model, ": ", from,
              " holds the model ", c.model, " (leave --model out to resume it)");
  r.model = c.model;
  usage_check(!a.has("--optimizer") || a.optimizer == c.optimizer, "--optimizer ", a.optimizer, ": ", from,
              " holds the state of optimizer ", c.optimizer, " (leave --optimizer out to resume it)");
  r.optimizer = c.optimizer;
  usage_check(!a.has("--seed") || a.seed == c.seed, "--seed ", a.seed, ": ", from, " was trained with --seed ", c.seed,
              ", and its shuffling and dropout go on from it (leave --seed out)");
  r.seed = c.seed;
  usage_check(!a.has("--loss") || a.loss == c.loss, "--loss ", a.loss, ": ", from, " was trained with --loss ", c.loss,
              " (leave --loss out to resume it)");
  r.loss = c.loss;
  usage_check(!a.has("--label-smoothing") || a.label_smoothing == c.label_smoothing, "--label-smoothing ",
              num(a.label_smoothing), ": ", from, " was trained with --label-smoothing ", num(c.label_smoothing),
              " (leave it out to resume it)");
  r.label_smoothing = c.label_smoothing;
  if (c.input_known) {
    usage_check(!a.has("--standardize") || c.input.standardized(), "--standardize: ", from,
                " was trained on pixels not standardised (leave --standardize out)");
    r.standardize = c.input.standardized();
  }
  // The checkpoint stores the global batch (all processes of a --distributed run together).
  const std::string per = world > 1 ? " per process x " + std::to_string(world) : "";
  if (c.batch_size && !a.has("--batch-size")) {
    usage_check(*c.batch_size % world == 0, from, " was trained at a global batch of ", *c.batch_size,
                ", which does not split over ", world, " processes: give --batch-size");
    r.batch_size = static_cast<int>(*c.batch_size / world);
  } else if (c.batch_size && int64_t{a.batch_size} * world != *c.batch_size) {
    usage_check(c.position.batch == 0, "--batch-size ", a.batch_size, per, ": ", from, " stopped after ",
                c.position.batch, " batches of ", *c.batch_size, " in epoch ", c.position.epoch + 1,
                " (resume it with a global batch of ", *c.batch_size,
                ", or from a checkpoint written at the end of an epoch)");
    notes.push_back("--batch-size " + std::to_string(a.batch_size) + per + " replaces the checkpoint's " +
                    std::to_string(*c.batch_size));
  }
  if (c.epochs && !a.has("--epochs")) r.epochs = *c.epochs;
  else if (c.epochs && a.epochs != *c.epochs && a.epochs > c.position.epoch)
    notes.push_back("--epochs " + std::to_string(a.epochs) + " trains to epoch " + std::to_string(a.epochs) +
                    " (the checkpoint's run asked for " + std::to_string(*c.epochs) + ")");
  usage_check(r.epochs > c.position.epoch, a.has("--epochs") ? "--epochs " + std::to_string(a.epochs) + ": " : "",
              from, " has completed ", c.position.epoch, " epoch(s) (give --epochs ", c.position.epoch + 1,
              " or more to train on; eval evaluates it)");
  if (a.lr >= 0) {
    const double was = c.base_lr.value_or(c.lr);
    if (a.lr != was) notes.push_back("--lr " + num(a.lr) + " replaces the checkpoint's " + num(was));
  } else if (c.base_lr) {
    r.lr = *c.base_lr;
  }
  return r;
}

// Every file the run writes, checked before any data is read: a run must not
// train an epoch to find it cannot keep the result. --save and --plot are
// replaced atomically (io/file_io.h); --log is opened as given (it may be
// /dev/stdout), and opening it later says what else is wrong.
void check_outputs(const TrainArgs& a) {
  auto check = [](const char* flag, const std::string& path, bool atomic) {
    if (path.empty()) return;
    const std::string why = atomic ? atomic_write_problem(path) : folder_problem(path);
    CUDANET_CHECK(why.empty(), flag, " ", path, ": cannot write: ", why);
  };
  std::string save = a.save;
  if (is_epoch_pattern(a.save)) {
    usage_check(a.val_split > 0 || a.save.find("{val_") == std::string::npos, "--save ", a.save,
                ": --val-split 0 leaves no validation set for its {val_...} field");
    EpochStats first;
    first.epoch = 1;
    try {
      save = format_epoch_pattern(a.save, first);  // the folder of the first epoch's file is checked
    } catch (const Error& e) {
      throw UsageError("--save: " + std::string(e.what()));
    }
  }
  check("--save", save, true);
  check("--plot", a.plot, true);
  check("--log", a.log, false);
  check("--csv-log", a.csv_log, false);
}

// The schedule the flags ask for, or none for a constant rate without warm-up.
std::unique_ptr<LrSchedule> make_schedule(const TrainArgs& a, double base_lr, int64_t total_steps) {
  const std::string& s = a.lr_schedule;
  if (s == "constant" && a.warmup_steps == 0) return nullptr;
  usage_check(!a.lr_min || *a.lr_min <= base_lr, "--lr-min ", a.lr_min.value_or(0), ": must not exceed the base rate ",
              base_lr);
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

std::string scaling_text(const InputScaling& s) {
  char buf[96];
  std::snprintf(buf, sizeof buf, ", standardised (mean %.4f, std %.4f)", s.mean, s.stddev);
  return s.standardized() ? buf : "";
}

// Images shaped otherwise than the checkpoint's model was trained on are refused
// by name (checkpoints that record the shape).
void check_input_shape(const CheckpointInfo& c, const Shape& input, const std::string& what) {
  CUDANET_CHECK(c.input_shape.ndim() == 0 || c.input_shape == input, what, ": images ", input.str(),
                ", but the checkpoint's model was trained on ", c.input_shape.str());
}

// Images (N, C, H, W) as the model saw them in training: load_mnist's arithmetic
// (u8 pixels times 1/255 in float, then (x - mean) * (1 / std)).
Tensor model_input(const Tensor& raw, const InputScaling& s) {
  Tensor x = cast(raw, DType::f32);
  const float scale = raw.dtype() == DType::u8 ? 1.0f / 255.0f : 1.0f;
  const float mean = s.mean, inv = static_cast<float>(1.0 / s.stddev);
  float* px = x.data<float>();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) {
    px[i] *= scale;
    if (s.standardized()) px[i] = (px[i] - mean) * inv;
  }
  return x;
}

// The test split, scaled with `scaling` (the training set's statistics, not its own).
MnistOptions test_options(const InputScaling& scaling, int num_classes) {
  MnistOptions o;
  o.split = MnistSplit::Test;
  o.num_classes = num_classes;
  o.standardize = scaling.standardized();
  o.mean = scaling.mean;
  o.stddev = scaling.stddev;
  return o;
}

// "at epoch 3, batch 17", or "after epoch 2" at an epoch's end.
std::string where(const TrainPosition& p) {
  if (p.batch == 0) return "after epoch " + std::to_string(p.epoch);
  return "at epoch " + std::to_string(p.epoch + 1) + ", batch " + std::to_string(p.batch);
}

}  // namespace

namespace {

int train(const TrainArgs& args, Communicator* comm) {
  const int world = comm ? comm->size() : 1;
  const bool lead = !comm || comm->rank() == 0;  // the one process that prints and writes
  // A checkpoint to resume is read, and a malformed --model refused, before any
  // data is read; the model's shapes are checked once the images' shape is known.
  std::optional<Checkpoint> ckpt;
  std::vector<std::string> notes;
  if (!args.resume.empty()) {
    ckpt = read_checkpoint(args.resume);
    parse_model(ckpt->info.model);
  } else {
    parse_model(model_description(args.model));
  }
  TrainArgs a = ckpt ? resume_settings(args, ckpt->info, world, notes) : args;
  if (!lead) {  // the other processes train in silence
    a.quiet = true;
    a.save.clear(), a.log.clear(), a.plot.clear(), a.csv_log.clear();
    a.save_best_only = false;
  }
  check_optimizer_flags(a);
  const Device device = comm ? rank_device(a.device, *comm) : pick_device(a.device);
  // Processes sharing a node's CPU share its cores.
  const int local = comm ? comm->local_size() : 1;
  set_num_threads(a.threads == 0 && device.is_cpu() && local > 1
                      ? std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / local)
                      : a.threads);
  set_default_algo(OpFamily::Conv, parse_algo(OpFamily::Conv, a.conv_algo));
  set_default_algo(OpFamily::Gemm, parse_algo(OpFamily::Gemm, a.gemm_algo));
  set_default_algo(OpFamily::Pool, parse_algo(OpFamily::Pool, a.pool_algo));
  set_allow_tf32(a.tf32);

  // ---- data: Keras's split (the last fraction, before shuffling) ----
  MnistOptions mo;
  mo.limit = a.limit;
  mo.standardize = a.standardize;
  const MnistFiles train_files = find_mnist_files(a.data, MnistSplit::Train);
  Dataset all = load_mnist_files(train_files, mo);
  TrainValSplit split = split_last(all, a.val_split);
  const Shape input{all.images.size(1), all.images.size(2), all.images.size(3)};
  // The test split is read and checked against training before the first step,
  // not found unusable after the last.
  const std::optional<MnistFiles> test_pair = test_files(a.data);
  std::optional<Dataset> test;
  if (test_pair) {
    test = load_mnist_files(*test_pair, test_options({all.pixel_mean, all.pixel_std}, all.num_classes));
    const Shape t{test->images.size(1), test->images.size(2), test->images.size(3)};
    CUDANET_CHECK(t == input, "test images '", test_pair->images, "': images ", t.str(), ", but the training images '",
                  train_files.images, "' are ", input.str());
  }
  if (ckpt && ckpt->info.train_size && *ckpt->info.train_size != split.train.size()) {
    usage_check(ckpt->info.position.batch == 0, "the training set has ", split.train.size(),
                " images, but the checkpoint ", a.resume, "'s run had ", *ckpt->info.train_size,
                " (resuming mid-epoch needs its --data, --limit and --val-split)");
    notes.push_back("the training set has " + std::to_string(split.train.size()) +
                    " images (the checkpoint's run had " + std::to_string(*ckpt->info.train_size) + ")");
  }

  // ---- model and optimizer, or the state of a checkpoint ----
  const std::string description = model_description(a.model);
  Generator init(a.seed);
  // Refused with the numbers before anything is allocated, not killed by the kernel midway.
  require_memory(estimate_training_memory(plan_model(description, input), a.batch_size, optimizer_slots(a.optimizer)),
                 a.batch_size, device, "the model " + description);
  auto model = build_classifier(description, input, all.num_classes, init);
  model->to(device);
  OptimizerOptions oo;
  if (a.lr >= 0) oo.lr = a.lr;
  if (a.momentum >= 0) oo.momentum = a.momentum;
  if (a.weight_decay >= 0) oo.weight_decay = a.weight_decay;
  auto optimizer = make_optimizer(a.optimizer, model->parameters(), oo);
  FitOptions fo;
  fo.epochs = a.epochs;
  fo.batch_size = a.batch_size;
  fo.seed = a.seed;
  fo.clip_norm = a.clip_norm;
  fo.comm = comm;
  const auto schedule = make_schedule(a, optimizer->lr(), steps_per_epoch(split.train, fo) * a.epochs);
  fo.schedule = schedule.get();
  manual_seed(a.seed);
  if (ckpt) {
    restore_model(*model, *ckpt, a.resume);
    restore_optimizer(*optimizer, *ckpt, a.resume);
    // A constant rate: --lr's or the checkpoint's base rate (a checkpoint without one keeps its own).
    if (!schedule && a.lr >= 0) optimizer->set_lr(a.lr);
    default_generator().set_state(ckpt->info.rng_seed, ckpt->info.rng_offset);
    fo.resume = ckpt->info.position;
  }
  const double base_lr = schedule ? schedule->base_lr() : optimizer->lr();
  const LossFn loss_fn = make_loss(a.loss, a.label_smoothing);

  if (!a.quiet) {
    std::printf("cudanet-train: device %s\n", device_line(device).c_str());
    if (device.is_cuda())
      std::printf("algorithms: conv %s, gemm %s, pool %s, tf32 %s\n", a.conv_algo.c_str(), a.gemm_algo.c_str(),
                  a.pool_algo.c_str(), a.tf32 ? "on" : "off");
    std::printf("data: %s: %lld training, %lld validation images%s\n", a.data.c_str(),
                static_cast<long long>(split.train.size()), static_cast<long long>(split.val.size()),
                scaling_text({all.pixel_mean, all.pixel_std}).c_str());
    std::printf("model: %s\n%s", description.c_str(), model->summary(input).c_str());
    if (comm)
      std::printf("distributed: %d processes over %s, batch %d per process, global batch %d, lr %g (not scaled)\n",
                  world, distributed_backends().c_str(), a.batch_size, a.batch_size * world, base_lr);
    std::printf("optimizer: %s, lr %g%s, batch %d, %d epochs%s\n", optimizer->name(), base_lr,
                schedule_text(schedule.get()).c_str(), a.batch_size * world, a.epochs,
                ckpt ? (", resuming at epoch " + std::to_string(fo.resume.epoch + 1)).c_str() : "");
    if (a.loss != "cross_entropy" || a.label_smoothing > 0)
      std::printf("loss: %s\n", loss_text(a.loss, a.label_smoothing).c_str());
    for (const std::string& n : notes) std::printf("resume: %s\n", n.c_str());
    if (const std::string cb = callbacks_text(a); !cb.empty()) std::printf("callbacks: %s\n", cb.c_str());
    std::fflush(stdout);
  }

  JsonLog log(a.log, ckpt ? std::optional<int>(ckpt->info.position.epoch) : std::nullopt);
  ProgressBar bar(stderr);
  const bool show_bar = bar.active() && !a.quiet;
  fo.progress_due = [&] { return show_bar && bar.due(); };
  int bar_epoch = -1;
  fo.on_progress = [&](int epoch, int64_t done, int64_t total, double loss, double acc) {
    if (epoch != bar_epoch) bar.start(epoch + 1, a.epochs, total), bar_epoch = epoch;
    bar.draw(done, loss, acc);
  };
  // The epochs before a resume come from the checkpoint: the plot shows the whole run.
  std::vector<EpochStats> history;
  if (ckpt) history = ckpt->info.history;
  auto make_info = [&](const TrainPosition& pos) {
    CheckpointInfo info;
    info.model = description;
    info.optimizer = a.optimizer;
    info.position = pos;
    info.seed = fo.seed;
    info.rng_seed = default_generator().seed();
    info.rng_offset = default_generator().offset();
    info.lr = optimizer->lr();
    info.input = {all.pixel_mean, all.pixel_std};
    info.num_classes = all.num_classes;
    info.input_shape = input;
    info.epochs = a.epochs;
    info.batch_size = int64_t{a.batch_size} * world;  // the global batch
    info.train_size = split.train.size();
    info.base_lr = base_lr;
    info.loss = a.loss;
    info.label_smoothing = a.label_smoothing;
    info.history = history;
    return info;
  };
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
                     {"lr", s.lr}};
    if (s.has_val) j["val_loss"] = s.val_loss, j["val_accuracy"] = s.val_accuracy;
    log.write(j);
    if (!a.plot.empty()) write_training_plot(a.plot, history, "cudanet: " + description);
  };
  // Keras's callbacks, in this order at every epoch's end; --save is a model checkpoint.
  if (ckpt) fo.history = ckpt->info.history;
  const TrainCallbacks cb = add_train_callbacks(a, fo, ckpt.has_value(), [&](const EpochStats& e) {
    return make_info({e.epoch, 0, optimizer->step_count()});
  });
  const auto& saver = cb.saver;
  const bool save_on_interrupt = cb.save_on_interrupt;

  TrainPosition stopped;
  fo.should_stop = [] { return g_interrupted != 0; };
  fo.stopped_at = &stopped;
  std::signal(SIGINT, on_sigint);

  fo.terminate_on_nan = a.terminate_on_nan;
  try {
    fit(*model, *optimizer, loss_fn, split.train, split.val, fo);
  } catch (const NonFiniteLossError& e) {
    if (show_bar) bar.finish();
    std::error_code ec;
    const std::string kept =
        a.save.empty()                ? "no --save given"
        : !saver->last_saved().empty() ? saver->last_saved() + " holds the end of epoch " +
                                             std::to_string(saver->last_saved_epoch())
        : save_on_interrupt && std::filesystem::exists(a.save, ec) ? a.save + " is left as it was"
                                                                   : "nothing saved to " + a.save;
    throw Error(std::string(e.what()) + " (" + kept + "; --no-terminate-on-nan trains on)");
  }
  std::signal(SIGINT, SIG_DFL);

  if (g_interrupted) {
    if (show_bar) bar.finish();
    if (save_on_interrupt) {
      save_checkpoint(a.save, *model, optimizer.get(), make_info(stopped));
      std::printf("interrupted %s: checkpoint saved to %s (continue with --resume %s)\n", where(stopped).c_str(),
                  a.save.c_str(), a.save.c_str());
    } else if (!lead) {
    } else if (!a.save.empty()) {
      const std::string last = saver->last_saved();
      std::printf("interrupted %s: nothing written (--save %s keeps whole epochs%s)\n", where(stopped).c_str(),
                  a.save.c_str(), last.empty() ? "" : ("; the last written is " + last).c_str());
    } else {
      std::printf("interrupted %s (no --save given: nothing written)\n", where(stopped).c_str());
    }
    return kInterrupted;
  }

  if (cb.stopper && !a.quiet) report_early_stopping(a, *cb.stopper);

  if (!test) {
    if (lead) std::printf("no test files in %s: skipping the test evaluation\n", a.data.c_str());
    return 0;
  }
  Metrics m = evaluate(*model, loss_fn, *test, kEvalBatchSize, comm);
  if (!lead) return 0;
  print_test(m, a.data, a.quiet);
  nlohmann::json j{{"test", metrics_json(m)}};
  log.write(j);
  return 0;
}

}  // namespace

int run_train(const TrainArgs& args) {
  check_schedule_flags(args);
  check_callback_flags(args);
  check_outputs(args);
  // Every process of a --distributed run joins the job before it reads anything;
  // one that fails leaves at once, so that mpirun stops the others (dist/communicator.h).
  std::unique_ptr<Communicator> comm;
  if (args.distributed) comm = Communicator::init();
  try {
    return train(args, comm.get());
  } catch (...) {
    if (comm) comm->fail();
    throw;
  }
}

int run_eval(const EvalArgs& a) {
  const Device device = pick_device(a.device);
  Checkpoint ckpt = read_checkpoint(a.checkpoint);
  const CheckpointInfo& c = ckpt.info;
  // The test images scaled as the training run scaled its own (the same arithmetic).
  Dataset test = load_mnist(a.data, test_options(c.input, c.num_classes));
  const Shape input{test.images.size(1), test.images.size(2), test.images.size(3)};
  check_input_shape(c, input, "--data " + a.data);
  auto model = build_classifier(c.model, input, c.num_classes);
  restore_model(*model, ckpt, a.checkpoint);
  model->to(device);
  std::printf("model: %s (epoch %d)%s\n", c.model.c_str(), c.position.epoch, scaling_text(c.input).c_str());
  if (c.loss != "cross_entropy" || c.label_smoothing > 0)
    std::printf("loss: %s\n", loss_text(c.loss, c.label_smoothing).c_str());
  print_test(evaluate(*model, make_loss(c.loss, c.label_smoothing), test, a.batch_size), a.data, false);
  return 0;
}

namespace {

// What --output's extension (in any case) asks predict for.
enum class PredictFormat { Text, Csv, Npy };

PredictFormat predict_format(const std::string& output) {
  std::string ext = std::filesystem::path(output).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (ext == ".csv") return PredictFormat::Csv;
  if (ext == ".npy") return PredictFormat::Npy;
  return PredictFormat::Text;
}

// The k most probable classes of one row of probabilities, best first. A NaN
// ranks above every number and a tie goes to the lower class, as argmax decides
// (kernels/common/reduce.h's max_takes), so the first is the predicted class.
std::vector<int32_t> top_classes(const float* p, int64_t classes, int k) {
  std::vector<int32_t> order(static_cast<size_t>(classes));
  std::iota(order.begin(), order.end(), 0);
  auto before = [p](int32_t a, int32_t b) {
    const bool nan_a = std::isnan(p[a]), nan_b = std::isnan(p[b]);
    if (nan_a != nan_b) return nan_a;
    if (!nan_a && p[a] != p[b]) return p[a] > p[b];
    return a < b;
  };
  std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
  order.resize(static_cast<size_t>(k));
  return order;
}

// probs (N, K) float32 as CSV: "class,p0,...,p{K-1}", or with top_k
// "class,top1,p_top1,...", then a row per image. %.9g gives back the float exactly.
std::string probabilities_csv(const Tensor& probs, int top_k) {
  const int64_t n = probs.size(0), classes = probs.size(1);
  const float* p = probs.data<float>();
  std::string text = "class";
  for (int64_t j = 0; j < (top_k > 0 ? top_k : classes); ++j)
    text += top_k > 0 ? ",top" + std::to_string(j + 1) + ",p_top" + std::to_string(j + 1) : ",p" + std::to_string(j);
  text += '\n';
  char number[32];
  auto add = [&](float v) {
    std::snprintf(number, sizeof number, ",%.9g", static_cast<double>(v));
    text += number;
  };
  for (int64_t i = 0; i < n; ++i) {
    const float* row = p + i * classes;
    const std::vector<int32_t> best = top_classes(row, classes, std::max(top_k, 1));
    text += std::to_string(best[0]);
    if (top_k > 0) {
      for (int32_t cls : best) text += "," + std::to_string(cls), add(row[cls]);
    } else {
      for (int64_t j = 0; j < classes; ++j) add(row[j]);
    }
    text += '\n';
  }
  return text;
}

}  // namespace

int run_predict(const PredictArgs& a) {
  const PredictFormat format = predict_format(a.output);
  if (a.top_k > 0 && format == PredictFormat::Npy)
    throw UsageError("--top-k: " + a.output + " is a .npy file, which holds every class's probability (N, K); " +
                     "write a .csv for the top classes, or take them in NumPy: np.argsort(-p, axis=1, kind='stable')[:, :N]");
  const Device device = pick_device(a.device);
  Checkpoint ckpt = read_checkpoint(a.checkpoint);
  const CheckpointInfo& c = ckpt.info;
  if (a.top_k > c.num_classes)
    throw UsageError("--top-k " + std::to_string(a.top_k) + " exceeds the " + std::to_string(c.num_classes) +
                     " classes of " + a.checkpoint + "'s model");
  Tensor images = idx_to_tensor(read_idx(a.images));
  CUDANET_CHECK(images.dim() == 3 || images.dim() == 4, "--images ", a.images,
                ": expected IDX images (N, H, W), got shape ", images.shape().str());
  if (images.dim() == 3) images = images.reshape({images.size(0), 1, images.size(1), images.size(2)});
  images = model_input(images, c.input);
  const Shape input{images.size(1), images.size(2), images.size(3)};
  check_input_shape(c, input, "--images " + a.images);
  auto model = build_classifier(c.model, input, c.num_classes);
  restore_model(*model, ckpt, a.checkpoint);
  model->to(device);
  std::string text;
  if (format == PredictFormat::Text && a.top_k == 0) {
    for (int32_t cls : predict(*model, images, a.batch_size).to_vector<int32_t>()) text += std::to_string(cls) + "\n";
  } else {
    Tensor probs = predict_probabilities(*model, images, a.batch_size);  // (N, K)
    if (probs.size(0) == 0) probs = Tensor::empty({0, c.num_classes});
    if (format == PredictFormat::Npy) {
      write_npy(a.output, probs);
      return 0;
    }
    if (format == PredictFormat::Csv) {
      text = probabilities_csv(probs, a.top_k);
    } else {
      // As text, --top-k gives each image's classes on its line, best first.
      for (int64_t i = 0; i < probs.size(0); ++i) {
        const std::vector<int32_t> best = top_classes(probs.data<float>() + i * probs.size(1), probs.size(1), a.top_k);
        for (size_t j = 0; j < best.size(); ++j) text += (j ? " " : "") + std::to_string(best[j]);
        text += '\n';
      }
    }
  }
  if (a.output.empty()) std::fwrite(text.data(), 1, text.size(), stdout);
  else write_file_atomic(a.output, text.data(), text.size());
  return 0;
}

}  // namespace cudanet::app
