// Keras's callbacks: the rules on hand-made epoch sequences (the values Keras's
// own code gives, worked out by hand), then inside fit().
#include "io_test_util.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "layers/zoo.h"
#include "optim/schedule.h"
#include "train/callbacks.h"
#include "train/checkpoint.h"
#include "train/fit.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

EpochStats epoch(int n, double val_loss, double loss = 1.0) {
  EpochStats s;
  s.epoch = n;
  s.loss = loss;
  s.accuracy = 0.5;
  s.has_val = true;
  s.val_loss = val_loss;
  s.val_accuracy = 1 - val_loss;
  return s;
}

// A tiny model and optimizer for the callbacks that only need the references.
struct Rig {
  Generator g{1};
  std::unique_ptr<Module> model = build_model("flatten-dense4", Shape{1, 8, 8}, g);
  std::unique_ptr<Optimizer> opt = make_optimizer("adam", model->parameters());
  std::vector<EpochStats> history;
  TrainState state{*model, *opt, history};
  Rig() {
    state.has_validation = true;
    state.base_lr = 1e-3;
  }
};

// Feeds epochs 1..n of `val_losses` to `cb` as fit() would; returns the epoch it stopped after (0: never).
int feed(Callback& cb, Rig& r, const std::vector<double>& val_losses) {
  cb.on_train_begin(r.state);
  for (size_t i = 0; i < val_losses.size(); ++i) {
    r.history.push_back(epoch(static_cast<int>(i + 1), val_losses[i]));
    cb.on_epoch_end(r.history.back(), r.state);
    if (r.state.stop) return static_cast<int>(i + 1);
  }
  return 0;
}

Dataset quadrants(int64_t n, uint64_t seed) {
  Tensor x = randu({n, 1, 8, 8}, seed, 0.0, 0.5);
  std::vector<int32_t> labels(n);
  float* px = x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    labels[i] = static_cast<int32_t>((i * 7 + seed) % 4);
    const int r0 = (labels[i] / 2) * 4, c0 = (labels[i] % 2) * 4;
    for (int r = r0; r < r0 + 4; ++r)
      for (int c = c0; c < c0 + 4; ++c) px[i * 64 + r * 8 + c] += 0.5f;
  }
  Dataset d;
  d.images = x;
  d.labels = Tensor::from_vector<int32_t>(labels, {n});
  d.num_classes = 4;
  return d;
}

std::vector<std::vector<float>> weights(const Module& m) {
  std::vector<std::vector<float>> out;
  for (const auto& [name, t] : m.named_parameters()) out.push_back(t.to_vector<float>());
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("file-name patterns expand as Keras's ModelCheckpoint does", "[callbacks]") {
  EpochStats s = epoch(3, 0.123456, 0.25);
  s.lr = 1e-3;
  CHECK(format_epoch_pattern("run-{epoch:02d}.safetensors", s) == "run-03.safetensors");
  CHECK(format_epoch_pattern("run-{epoch}.safetensors", s) == "run-3.safetensors");
  CHECK(format_epoch_pattern("{epoch:3d}|{epoch:03}", s) == "  3|003");
  CHECK(format_epoch_pattern("best-{val_loss:.4f}", s) == "best-0.1235");
  CHECK(format_epoch_pattern("{loss}-{lr}", s) == "0.25-0.001");  // Python's str(float)
  CHECK(float_text(0.0005) == "0.0005");
  CHECK(float_text(2) == "2.0");
  CHECK(float_text(1e-5) == "1e-05");
  CHECK(float_text(1.5e16) == "1.5e+16");
  CHECK(float_text(0.1 + 0.2) == "0.30000000000000004");
  CHECK(format_epoch_pattern("{val_accuracy:.2e}", s) == "8.77e-01");
  CHECK(format_epoch_pattern("{{epoch}}-{epoch:02d}", s) == "{epoch}-03");
  CHECK(format_epoch_pattern("plain.safetensors", s) == "plain.safetensors");
  CHECK(is_epoch_pattern("run-{epoch:02d}.safetensors"));
  CHECK_FALSE(is_epoch_pattern("run-{{x}}.safetensors"));
  CHECK_FALSE(is_epoch_pattern("run.safetensors"));
  CHECK_THROWS_WITH(format_epoch_pattern("run-{step}", s), Catch::Contains("{step}: unknown field"));
  CHECK_THROWS_WITH(format_epoch_pattern("run-{loss:d}", s), Catch::Contains("'d' formats the epoch only"));
  CHECK_THROWS_WITH(format_epoch_pattern("run-{epoch", s), Catch::Contains("a '{' without its '}'"));
  CHECK_THROWS_WITH(format_epoch_pattern("run-}", s), Catch::Contains("a '}' without its '{'"));
  CHECK_THROWS_WITH(format_epoch_pattern("{loss:.99f}", s), Catch::Contains("above 17"));
  CHECK_THROWS_WITH(format_epoch_pattern("{loss:x}", s), Catch::Contains("[0][width][.precision][d|f|e|g]"));
}

TEST_CASE("the monitored quantity, its mode and min_delta", "[callbacks]") {
  MonitorBest loss("val_loss", MonitorMode::Auto, 0.01);
  CHECK_FALSE(loss.maximize());
  CHECK(loss.improves(5.0));  // anything beats the start (+inf)
  loss.set_best(1.0);
  CHECK(loss.improves(0.98));
  CHECK_FALSE(loss.improves(0.995));  // better by less than min_delta
  CHECK_FALSE(loss.improves(std::nan("")));
  MonitorBest acc("val_accuracy", MonitorMode::Auto, 0);
  CHECK(acc.maximize());
  CHECK(MonitorBest("loss", MonitorMode::Max, 0).maximize());
  CHECK_THROWS_WITH(MonitorBest("val_f1", MonitorMode::Auto, 0), Catch::Contains("cannot monitor 'val_f1'"));
  CHECK_THROWS_WITH(MonitorBest("loss", MonitorMode::Min, -1), Catch::Contains("min_delta -1"));
  CHECK_THROWS_WITH(parse_monitor_mode("up"), Catch::Contains("expected auto, min or max"));
  EpochStats no_val = epoch(1, 0.5);
  no_val.has_val = false;
  CHECK_THROWS_WITH(monitor_value(no_val, "val_loss"), Catch::Contains("has no val_loss"));
}

TEST_CASE("early stopping waits `patience` epochs without an improvement by min_delta", "[callbacks]") {
  Rig r;
  EarlyStoppingOptions o;
  o.patience = 2;
  o.min_delta = 0.02;
  EarlyStopping es(o);
  // 1.0 best; 0.8 best; 0.85 wait 1; 0.79 is not better than 0.8 by 0.02: wait 2, stop.
  CHECK(feed(es, r, {1.0, 0.8, 0.85, 0.79, 0.5}) == 4);
  CHECK(es.stopped_epoch() == 4);
  CHECK(es.best_epoch() == 2);
  CHECK(es.best() == 0.8);

  Rig r0;
  EarlyStoppingOptions z;
  z.patience = 0;
  EarlyStopping never_first(z);
  // Patience 0 stops at the first epoch that does not improve, but never after the first epoch.
  CHECK(feed(never_first, r0, {1.0, 1.0}) == 2);

  Rig rb;
  EarlyStoppingOptions b;
  b.patience = 2;
  b.baseline = 0.5;
  EarlyStopping baseline(b);
  // Nothing beats the baseline: the wait runs from the first epoch.
  CHECK(feed(baseline, rb, {0.9, 0.8, 0.7}) == 2);
}

TEST_CASE("early stopping rebuilds its wait from a resumed run's history", "[callbacks]") {
  EarlyStoppingOptions o;
  o.patience = 3;
  Rig straight;
  EarlyStopping a(o);
  const int stop_straight = feed(a, straight, {1.0, 0.7, 0.8, 0.9, 0.95, 0.6});
  Rig resumed;
  resumed.history = {epoch(1, 1.0), epoch(2, 0.7), epoch(3, 0.8)};
  EarlyStopping b(o);
  b.on_train_begin(resumed.state);
  int stop_resumed = 0;
  for (int e = 4; e <= 6 && !stop_resumed; ++e) {
    resumed.history.push_back(epoch(e, e == 4 ? 0.9 : e == 5 ? 0.95 : 0.6));
    b.on_epoch_end(resumed.history.back(), resumed.state);
    if (resumed.state.stop) stop_resumed = e;
  }
  CHECK(stop_straight == 5);
  CHECK(stop_resumed == 5);
}

TEST_CASE("reduce lr on plateau: factor, patience, cooldown and min_lr", "[callbacks]") {
  Rig r;
  ReduceLrOnPlateauOptions o;
  o.factor = 0.5;
  o.patience = 1;
  o.cooldown = 2;
  o.min_lr = 3e-4;
  std::vector<std::pair<int, double>> told;
  o.on_reduce = [&](int e, double, double new_lr) { told.push_back({e, new_lr}); };
  ReduceLrOnPlateau p(o);
  p.on_train_begin(r.state);
  // base 1e-3. e1 best. e2 no: wait 1 >= 1: 5e-4, cooldown 2. e3: cooldown 2 -> 1, still in it.
  // e4: cooldown 1 -> 0 first (Keras counts down before it looks), so wait 1:
  // max(2.5e-4, 3e-4) = 3e-4. e5 cooldown. e6: at min_lr, stays.
  const double scale_after[] = {1, 0.5, 0.5, 0.3, 0.3, 0.3};
  for (int e = 1; e <= 6; ++e) {
    r.history.push_back(epoch(e, 1.0));
    p.on_epoch_end(r.history.back(), r.state);
    INFO("epoch " << e);
    CHECK(r.state.lr_scale == Approx(scale_after[e - 1]).epsilon(1e-12));
  }
  CHECK(p.reductions() == 2);
  REQUIRE(told.size() == 2);
  CHECK(told[0].first == 2);
  CHECK(told[1].first == 4);
  CHECK(told[1].second == Approx(3e-4).epsilon(1e-12));

  // A resumed run replays the history to the same scale, without telling it again.
  Rig again;
  again.history = r.history;
  ReduceLrOnPlateau q(o);
  told.clear();
  q.on_train_begin(again.state);
  CHECK(again.state.lr_scale == Approx(0.3).epsilon(1e-12));
  CHECK(told.empty());

  CHECK_THROWS_WITH(ReduceLrOnPlateau(ReduceLrOnPlateauOptions{"val_loss", MonitorMode::Auto, 1.0}),
                    Catch::Contains("factor 1 is not in (0, 1)"));
}

TEST_CASE("fit(): the plateau scales a schedule's rate, and each epoch reports its rate", "[callbacks][train]") {
  Dataset d = quadrants(96, 2);
  Generator g(4);
  auto model = build_model("flatten-dense4", Shape{1, 8, 8}, g);
  auto opt = make_optimizer("sgd", model->parameters(), OptimizerOptions{0.1});
  LrScheduleOptions so;
  so.base_lr = 0.1;
  so.step_size = 3;  // 3 steps an epoch at batch 32: the rate halves every epoch
  so.gamma = 0.5;
  auto schedule = make_lr_schedule("step", so);
  FitOptions fo;
  fo.epochs = 4;
  fo.batch_size = 32;
  fo.schedule = schedule.get();
  ReduceLrOnPlateauOptions po;
  po.monitor = "loss";
  po.mode = MonitorMode::Max;  // the loss falls, so "max" never improves: a reduction every epoch
  po.patience = 1;
  po.factor = 0.1;
  fo.callbacks.push_back(std::make_shared<ReduceLrOnPlateau>(po));
  const auto h = fit(*model, *opt, cross_entropy_loss(), d, Dataset{}, fo);
  REQUIRE(h.size() == 4);
  // Epoch e's last step is step 3e-1, scheduled at 0.1 * 0.5^(e-1); the scale is 0.1^(e-2) from epoch 2's end on.
  const double expect[] = {0.1, 0.05, 0.025 * 0.1, 0.0125 * 0.01};
  for (int e = 0; e < 4; ++e) {
    INFO("epoch " << e + 1);
    CHECK(h[e].lr == Approx(expect[e]).epsilon(1e-12));
  }
}

TEST_CASE("fit(): early stopping stops, and restores the best epoch's weights bitwise", "[callbacks][train]") {
  Dataset d = quadrants(128, 5);
  Generator g(3);
  auto model = build_model("flatten-dense8-relu-dense4", Shape{1, 8, 8}, g);
  auto opt = make_optimizer("adam", model->parameters());
  FitOptions fo;
  fo.epochs = 10;
  fo.batch_size = 32;
  std::vector<std::vector<std::vector<float>>> after;  // the weights after each epoch
  fo.on_epoch_end = [&](const EpochStats&) { after.push_back(weights(*model)); };
  EarlyStoppingOptions o;
  o.monitor = "loss";
  o.mode = MonitorMode::Max;  // the training loss falls: epoch 1 stays the "best"
  o.patience = 2;
  o.restore_best_weights = true;
  auto es = std::make_shared<EarlyStopping>(o);
  fo.callbacks.push_back(es);
  const auto h = fit(*model, *opt, cross_entropy_loss(), d, Dataset{}, fo);
  REQUIRE(h.size() == 3);  // epochs 2 and 3 do not improve: stop after 3
  CHECK(es->stopped_epoch() == 3);
  CHECK(es->restored_epoch() == 1);
  CHECK(weights(*model) == after[0]);
  CHECK(weights(*model) != after[2]);
  CHECK(opt->step_count() == 3 * 4);

  // A val_ monitor without a validation set is refused before the first step.
  auto model2 = build_model("flatten-dense4", Shape{1, 8, 8}, g);
  auto opt2 = make_optimizer("adam", model2->parameters());
  FitOptions f2;
  f2.callbacks.push_back(std::make_shared<EarlyStopping>(EarlyStoppingOptions{}));
  CHECK_THROWS_WITH(fit(*model2, *opt2, cross_entropy_loss(), d, Dataset{}, f2),
                    Catch::Contains("early stopping monitors val_loss, but fit() has no validation set"));
  CHECK(opt2->step_count() == 0);
}

TEST_CASE("fit(): model checkpoints every epoch to a pattern, or the best only", "[callbacks][train]") {
  const std::string dir = temp_dir("model-checkpoint");
  TrainValSplit data = split_last(quadrants(160, 7), 0.2);
  const char* desc = "flatten-dense4";
  Generator g(8);
  auto model = build_model(desc, Shape{1, 8, 8}, g);
  auto opt = make_optimizer("adam", model->parameters());
  auto info = [&](const EpochStats& e, const TrainState&) {
    CheckpointInfo c;
    c.model = desc;
    c.position = {e.epoch, 0, opt->step_count()};
    return c;
  };
  ModelCheckpointOptions every;
  every.filepath = dir + "/run-{epoch:02d}.safetensors";
  every.info = info;
  ModelCheckpointOptions best;
  best.filepath = dir + "/best.safetensors";
  best.monitor = "val_loss";
  best.mode = MonitorMode::Max;  // the validation loss falls: only epoch 1 is ever "best"
  best.save_best_only = true;
  best.info = info;
  FitOptions fo;
  fo.epochs = 3;
  fo.batch_size = 32;
  auto each = std::make_shared<ModelCheckpoint>(every);
  auto only = std::make_shared<ModelCheckpoint>(best);
  fo.callbacks = {each, only};
  fit(*model, *opt, cross_entropy_loss(), data.train, data.val, fo);
  for (int e = 1; e <= 3; ++e) {
    const std::string p = dir + "/run-0" + std::to_string(e) + ".safetensors";
    REQUIRE(std::filesystem::exists(p));
    CHECK(read_checkpoint(p).info.position.epoch == e);
  }
  CHECK(each->last_saved() == dir + "/run-03.safetensors");
  CHECK(read_checkpoint(dir + "/best.safetensors").info.position.epoch == 1);
  CHECK(only->last_saved_epoch() == 1);

  ModelCheckpointOptions bad = every;
  bad.filepath = dir + "/run-{step}.safetensors";
  CHECK_THROWS_WITH(ModelCheckpoint(bad), Catch::Contains("{step}: unknown field"));
}

TEST_CASE("the CSV log: a row per epoch, continued by a resumed run", "[callbacks]") {
  const std::string path = temp_dir("csv-log") + "/log.csv";
  {
    Rig r;
    CsvLogger log(path);
    log.on_train_begin(r.state);
    for (int e = 1; e <= 3; ++e) {
      EpochStats s = epoch(e, 0.5, 0.25);
      s.lr = 0.001, s.seconds = 2, s.images_per_second = 100;
      log.on_epoch_end(s, r.state);
    }
  }
  CHECK(read_text(path) ==
        "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds,images_per_second\n"
        "1,0.25,0.5,0.5,0.5,0.001,2.0,100.0\n2,0.25,0.5,0.5,0.5,0.001,2.0,100.0\n3,0.25,0.5,0.5,0.5,0.001,2.0,100.0\n");
  {
    // Resumed after epoch 2: epoch 3 is trained again, so its row goes.
    Rig r;
    r.history = {epoch(1, 0.5), epoch(2, 0.5)};
    CsvLogger log(path, true);
    log.on_train_begin(r.state);
    EpochStats s = epoch(3, 0.125, 0.25);
    s.lr = 0.001, s.seconds = 2, s.images_per_second = 100;
    log.on_epoch_end(s, r.state);
  }
  CHECK(read_text(path) ==
        "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds,images_per_second\n"
        "1,0.25,0.5,0.5,0.5,0.001,2.0,100.0\n2,0.25,0.5,0.5,0.5,0.001,2.0,100.0\n3,0.25,0.5,0.125,0.875,0.001,2.0,100.0\n");
  // Appending rows of another shape to it is refused by name.
  Rig no_val;
  no_val.state.has_validation = false;
  CsvLogger other(path, true);
  CHECK_THROWS_WITH(other.on_train_begin(no_val.state), Catch::Contains("CSV log " + path + ": its columns are"));
}
