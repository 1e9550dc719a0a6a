#include "io_test_util.h"

#include <cmath>

#include "io/mnist.h"
#include "io/safetensors.h"
#include "layers/zoo.h"
#include "train/checkpoint.h"
#include "train/fit.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

std::string fashion_dir() {
  return require_data_dir("CUDANET_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist", "Fashion-MNIST");
}

// A synthetic separable problem: the class is which quadrant is brightest.
Dataset quadrant_data(int64_t n, uint64_t seed) {
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

}  // namespace

TEST_CASE("the reference model learns real Fashion-MNIST: one CPU epoch on 2,000 images", "[train][data]") {
  MnistOptions mo;
  mo.limit = 2000;
  TrainValSplit data = split_last(load_mnist(fashion_dir(), mo), 0.1);
  Generator g(0);
  auto model = seed_cnn(g);
  auto opt = make_optimizer("adam", model->parameters());
  std::vector<double> losses;
  FitOptions fo;
  fo.epochs = 1;
  fo.progress_due = [] { return true; };  // read the running loss after every step
  fo.on_progress = [&](int, int64_t, int64_t, double loss, double) { losses.push_back(loss); };
  auto history = fit(*model, *opt, cross_entropy_loss(), data.train, data.val, fo);
  REQUIRE(history.size() == 1);
  REQUIRE(losses.size() == 29);  // ceil(1800 / 64)
  // Chance is 10% and a loss of ln(10) = 2.30; one epoch of Adam on 1,800
  // images reaches about 65% validation accuracy (Keras gives the same).
  CHECK(losses.front() > 2.0);
  CHECK(losses.back() < 0.8 * losses.front());
  CHECK(history[0].val_accuracy > 0.4);
  Metrics test = evaluate(*model, cross_entropy_loss(), data.val);
  CHECK(test.accuracy == Approx(history[0].val_accuracy));
  CHECK(test.samples == 200);
}

TEST_CASE("one optimizer step on a real Fashion-MNIST batch lowers the loss", "[train][data]") {
  MnistOptions mo;
  mo.limit = 64;
  Dataset d = load_mnist(fashion_dir(), mo);
  Generator g(1);
  auto model = seed_cnn(g);
  auto opt = make_optimizer("adam", model->parameters());
  Tensor before = cross_entropy(model->forward(d.images), d.labels);
  before.backward();
  opt->step();
  NoGradGuard ng;
  Tensor after = cross_entropy(model->forward(d.images), d.labels);
  CHECK(after.item() < before.item());
}

TEST_CASE("resuming from a checkpoint mid-epoch reproduces an uninterrupted run bitwise", "[train]") {
  Dataset d = quadrant_data(200, 3);
  const char* desc = "conv4x3-relu-maxpool2-flatten-dropout0.3-dense4";
  const std::string path = temp_dir("resume") + "/ckpt.safetensors";
  auto run = [&](int64_t stop_after, const Checkpoint* from) {
    Generator g(11);
    auto model = build_model(desc, Shape{1, 8, 8}, g);
    auto opt = make_optimizer("adam", model->parameters());
    FitOptions fo;
    fo.epochs = 3;
    fo.batch_size = 32;  // 7 batches an epoch
    fo.seed = 5;
    manual_seed(99);
    if (from) {
      restore_model(*model, *from, path);
      restore_optimizer(*opt, *from, path);
      default_generator().set_state(from->info.rng_seed, from->info.rng_offset);
      fo.resume = from->info.position;
    }
    TrainPosition at;
    fo.should_stop = [&] { return opt->step_count() >= stop_after; };
    fo.stopped_at = &at;
    fit(*model, *opt, cross_entropy_loss(), d, Dataset{}, fo);
    CheckpointInfo info;
    info.model = desc;
    info.position = at;
    info.seed = fo.seed;
    info.rng_seed = default_generator().seed();
    info.rng_offset = default_generator().offset();
    save_checkpoint(path, *model, opt.get(), info);
    return model->named_parameters();
  };
  auto straight = run(17, nullptr);  // 2 epochs + 3 batches
  run(10, nullptr);                  // stops in epoch 2, batch 3
  Checkpoint ck = read_checkpoint(path);
  CHECK(ck.info.position.epoch == 1);
  CHECK(ck.info.position.batch == 3);
  auto resumed = run(17, &ck);
  REQUIRE(straight.size() == resumed.size());
  for (size_t i = 0; i < straight.size(); ++i) {
    INFO(straight[i].first);
    CHECK(straight[i].second.to_vector<float>() == resumed[i].second.to_vector<float>());
  }
}

TEST_CASE("a stop asked for at an epoch's end stops there, before any step of the next epoch", "[train]") {
  Dataset d = quadrant_data(200, 6);
  Generator g(2);
  auto model = build_model("flatten-dense4", Shape{1, 8, 8}, g);
  auto opt = make_optimizer("adam", model->parameters());
  FitOptions fo;
  fo.epochs = 5;
  fo.batch_size = 32;  // 7 steps an epoch
  bool stop = false;
  fo.on_epoch_end = [&](const EpochStats& s) { stop = s.epoch == 3; };
  fo.should_stop = [&] { return stop; };
  TrainPosition at{-1, -1, -1};
  fo.stopped_at = &at;
  const auto history = fit(*model, *opt, cross_entropy_loss(), d, Dataset{}, fo);
  CHECK(history.size() == 3);
  CHECK(opt->step_count() == 3 * 7);
  CHECK(at.epoch == 3);  // 0-based: the 4th epoch, not begun
  CHECK(at.batch == 0);
  CHECK(at.global_step == 3 * 7);
}

TEST_CASE("fit and evaluate count the dataset's classes", "[train]") {
  Dataset d = quadrant_data(64, 8);  // 4 classes
  Generator g(4);
  auto model = build_model("flatten-dense4", Shape{1, 8, 8}, g);
  auto opt = make_optimizer("adam", model->parameters());
  FitOptions fo;
  fo.epochs = 1;
  fit(*model, *opt, cross_entropy_loss(), d, d, fo);
  const Metrics m = evaluate(*model, cross_entropy_loss(), d);
  CHECK(m.num_classes == 4);
  CHECK(m.samples == 64);
  Dataset other = d;
  other.num_classes = 5;
  CHECK_THROWS_WITH(fit(*model, *opt, cross_entropy_loss(), d, other, fo), Catch::Contains("5 classes"));
}

TEST_CASE("steps_per_epoch is the loader's count of batches", "[train]") {
  Dataset d = quadrant_data(100, 1);
  FitOptions fo;
  fo.batch_size = 32;
  CHECK(steps_per_epoch(d, fo) == 4);
  fo.drop_last = true;
  CHECK(steps_per_epoch(d, fo) == 3);
  fo.batch_size = 100;
  CHECK(steps_per_epoch(d, fo) == 1);
}

TEST_CASE("a checkpoint carries what inference and a resume need, exactly", "[train]") {
  const std::string path = temp_dir("inference-info") + "/info.safetensors";
  auto model = build_model("flatten-dense4", Shape{1, 8, 8});
  CheckpointInfo info;
  info.model = "flatten-dense4";
  // Statistics with every float digit in use, to catch a lossy round trip.
  info.input = {0.286040127f, 0.353024364f};
  info.num_classes = 4;
  info.input_shape = Shape{1, 8, 8};
  info.epochs = 7;
  info.batch_size = 48;
  info.train_size = 900;
  info.base_lr = 0.003;
  save_checkpoint(path, *model, nullptr, info);
  const Checkpoint ck = read_checkpoint(path);
  CHECK(ck.info.input_known);
  CHECK(ck.info.input.mean == info.input.mean);
  CHECK(ck.info.input.stddev == info.input.stddev);
  CHECK(ck.info.input.standardized());
  CHECK(ck.info.num_classes == 4);
  CHECK(ck.info.input_shape == Shape{1, 8, 8});
  CHECK(ck.info.epochs == 7);
  CHECK(ck.info.batch_size == 48);
  CHECK(ck.info.train_size == 900);
  CHECK(ck.info.base_lr == 0.003);
  CHECK(ck.info.extra.at("pixel_scale") == "255");
}

TEST_CASE("a checkpoint from before the inference fields reads as the behaviour of its time", "[train]") {
  const std::string path = temp_dir("old-info") + "/old.safetensors";
  save_safetensors(path, {{"model.0.weight", Tensor::zeros({2})}},
                   {{"format", "cudanet-checkpoint"}, {"format_version", std::to_string(kCheckpointFormatVersion)},
                    {"model", "seed-cnn"}, {"optimizer", "adam"}, {"epoch", "1"}, {"batch", "0"},
                    {"global_step", "1"}, {"seed", "0"}, {"rng_seed", "0"}, {"rng_offset", "0"}, {"lr", "0.001"}});
  const Checkpoint ck = read_checkpoint(path);
  CHECK_FALSE(ck.info.input_known);
  CHECK_FALSE(ck.info.input.standardized());
  CHECK(ck.info.num_classes == 10);
  CHECK(ck.info.input_shape.ndim() == 0);
  CHECK_FALSE(ck.info.epochs.has_value());
  CHECK_FALSE(ck.info.batch_size.has_value());
  CHECK_FALSE(ck.info.base_lr.has_value());
  // A scaling this cudanet does not apply is refused, not ignored.
  save_safetensors(path, {{"model.0.weight", Tensor::zeros({2})}},
                   {{"format", "cudanet-checkpoint"}, {"format_version", std::to_string(kCheckpointFormatVersion)},
                    {"model", "seed-cnn"}, {"optimizer", "adam"}, {"epoch", "1"}, {"batch", "0"},
                    {"global_step", "1"}, {"seed", "0"}, {"rng_seed", "0"}, {"rng_offset", "0"}, {"lr", "0.001"},
                    {"pixel_scale", "65535"}});
  CHECK_THROWS_WITH(read_checkpoint(path), Catch::Contains("'pixel_scale' must be 255") && Catch::Contains("65535"));
}

TEST_CASE("a checkpoint that does not fit the model is refused with every difference", "[train]") {
  const std::string path = temp_dir("mismatch") + "/mlp.safetensors";
  auto small = build_model("flatten-dense16-relu-dense10", Shape{1, 28, 28});
  CheckpointInfo info;
  info.model = "flatten-dense32-relu-dense10";  // lies about its model
  save_checkpoint(path, *small, nullptr, info);
  Checkpoint ck = read_checkpoint(path);
  auto model = build_model(ck.info.model, Shape{1, 28, 28});
  CHECK_THROWS_WITH(restore_model(*model, ck, path), Catch::Contains(path) && Catch::Contains("1.weight") &&
                                                         Catch::Contains("(32, 784)") && Catch::Contains("(16, 784)") &&
                                                         Catch::Contains("3.weight"));
}

TEST_CASE("checkpoints of another format version are refused", "[train]") {
  const std::string path = temp_dir("version") + "/v.safetensors";
  save_safetensors(path, {{"model.0.weight", Tensor::zeros({2})}},
                   {{"format", "cudanet-checkpoint"}, {"format_version", "999"}});
  CHECK_THROWS_WITH(read_checkpoint(path), Catch::Contains("'format_version' is 999"));
  save_safetensors(path, {{"w", Tensor::zeros({2})}});
  CHECK_THROWS_WITH(read_checkpoint(path), Catch::Contains("not a cudanet training checkpoint"));
}

TEST_CASE("running out of host memory is a clear error, not a crash", "[train]") {
  CHECK_THROWS_AS(Tensor::empty({int64_t(1) << 42}), OutOfMemoryError);
  CHECK_THROWS_WITH(Tensor::empty({int64_t(1) << 42}), Catch::Contains("out of host memory"));
}

TEST_CASE("the reference model gives the same logits on CPU and CUDA for every algorithm", "[train][gpu]") {
  require_gpu();
  Generator g(21);
  auto model = seed_cnn(g);
  Tensor x = randu({37, 1, 28, 28}, 22, 0.0, 1.0);
  Tensor ref = model->forward(x);
  model->to(Device::cuda(0));
  for (Algo a : {Algo::Native, Algo::Auto}) {
    for (Algo vendor : runnable_algos({Algo::Native, Algo::Cudnn})) {
      set_default_algo(OpFamily::Conv, a == Algo::Auto ? Algo::Auto : vendor);
      set_default_algo(OpFamily::Pool, a == Algo::Auto ? Algo::Auto : vendor);
      set_default_algo(OpFamily::Gemm, a == Algo::Auto ? Algo::Auto : (vendor == Algo::Cudnn ? Algo::Cublas : Algo::Native));
      Tensor y = model->forward(x.to(Device::cuda(0)));
      // float32 through 5 layers, reductions up to 576 long, and cuDNN may pick
      // Winograd or FFT in each of the 3 convolutions: up to ~4e-6 relative each
      // (a float32 simulation of F(6x6, 3x3)). 5e-5 still flags a wrong kernel (>= 1e-3).
      CHECK(rel_err(y, ref) < 5e-5);
    }
  }
  for (OpFamily f : {OpFamily::Conv, OpFamily::Pool, OpFamily::Gemm}) set_default_algo(f, Algo::Auto);
}

TEST_CASE("training on CUDA follows the CPU trajectory", "[train][gpu]") {
  require_gpu();
  Dataset d = quadrant_data(128, 4);
  auto run = [&](Device dev) {
    Generator g(8);
    auto model = build_model("conv8x3-relu-maxpool2-flatten-dense4", Shape{1, 8, 8}, g);
    model->to(dev);
    auto opt = make_optimizer("adam", model->parameters());
    FitOptions fo;
    fo.epochs = 2;
    fo.batch_size = 32;
    fit(*model, *opt, cross_entropy_loss(), d, Dataset{}, fo);
    return model->named_parameters();
  };
  auto cpu = run(Device::cpu());
  auto gpu = run(Device::cuda(0));
  // Over all parameters at once. Per tensor, a zero-initialised bias (norm ~1e-2
  // after 8 steps) would fail on a single ReLU or max-pool decision flipped by a
  // 1-ulp tie (~3e-5 absolute after Adam); over all parameters that stays below
  // 2e-5 relative, while a wrong gradient moves elements by ~1e-3: 1e-4.
  double num = 0, den = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    UNSCOPED_INFO(cpu[i].first << ": relative difference " << rel_err(gpu[i].second, cpu[i].second));
    const auto a = gpu[i].second.to(Device::cpu()).to_vector<float>();
    const auto b = cpu[i].second.to_vector<float>();
    for (size_t k = 0; k < a.size(); ++k) {
      const double diff = static_cast<double>(a[k]) - b[k];
      num += diff * diff, den += static_cast<double>(b[k]) * b[k];
    }
  }
  CHECK(std::sqrt(num / den) < 1e-4);
}
