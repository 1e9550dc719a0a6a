// A checkpoint's metadata is input like any other file: every field is checked
// on load, its range and its agreement with the others, and a bad one is refused
// in one line naming the file and the field (issue 17: lr = abc resumed at lr 0,
// epoch = 99999999999 wrapped, batch = 1000000 reported an empty epoch).
#include <limits>
#include <string>
#include <vector>

#include "io_test_util.h"
#include "layers/zoo.h"
#include "train/checkpoint.h"

using namespace cudanet;
using cudanet::test::temp_dir;

namespace {

// The metadata of a real checkpoint: 900 images in batches of 48 (19 batches),
// stopped in epoch 3 of 7 after 5 batches.
TensorMetadata valid_metadata() {
  CheckpointInfo info;
  info.model = "flatten-dense16-relu-dense10";
  info.position = {2, 5, 43};
  info.seed = 7;
  info.rng_seed = 9;
  info.rng_offset = 128;
  info.lr = 0.002;
  info.input = {0.25f, 0.5f};
  info.input_shape = Shape{1, 8, 8};
  info.epochs = 7;
  info.batch_size = 48;
  info.train_size = 900;
  info.base_lr = 0.003;
  EpochStats e1{1, 1.25, 0.5, 0, 0, false, 3.5, 250};
  EpochStats e2{2, 0.75, 0.625, 0.8, 0.6, true, 3.25, 270};
  info.history = {e1, e2};
  TensorMetadata m = checkpoint_metadata(info, nullptr);
  m["optimizer"] = "adam";
  return m;
}

std::string error_of(const TensorMetadata& m) {
  try {
    checkpoint_info(m, "run.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("checkpoint metadata round-trips every field, the full uint64 seed range included", "[train]") {
  TensorMetadata m = valid_metadata();
  m["seed"] = std::to_string(std::numeric_limits<uint64_t>::max());
  const CheckpointInfo i = checkpoint_info(m, "run.safetensors");
  CHECK(i.seed == std::numeric_limits<uint64_t>::max());
  CHECK(i.position.epoch == 2);
  CHECK(i.position.batch == 5);
  CHECK(i.position.global_step == 43);
  CHECK(i.rng_offset == 128);
  CHECK(i.lr == 0.002);
  CHECK(i.input.mean == 0.25f);
  CHECK(i.optimizer == "adam");
  REQUIRE(i.history.size() == 2);
  CHECK(i.history[1].val_accuracy == 0.6);
  CHECK(i.history[1].has_val);
  CHECK_FALSE(i.history[0].has_val);
  // What is read writes back to the same metadata.
  CheckpointInfo again = i;
  again.extra.clear();
  TensorMetadata back = checkpoint_metadata(again, nullptr);
  back["optimizer"] = "adam";
  CHECK(back == m);
}

TEST_CASE("every checkpoint metadata field is validated on load, naming the file and the field", "[train]") {
  struct Case {
    const char* key;
    std::string value;
    const char* expected;  // in the message besides the file and the field
  };
  const std::vector<Case> cases = {
      {"lr", "abc", "a finite number of 0 or more"},
      {"lr", "nan", "finite"},
      {"lr", "inf", "finite"},
      {"lr", "-0.5", "of 0 or more"},
      {"lr", " 0.1", "got ' 0.1'"},
      {"lr", "0.1x", "got '0.1x'"},
      {"base_lr", "1e400", "finite"},
      {"epoch", "99999999999", "from 0 to 100000"},
      {"epoch", "-1", "from 0 to 100000"},
      {"epoch", "2.5", "an integer"},
      {"epoch", "8", "at most the run's 7 epochs"},
      {"epochs", "0", "from 1 to 100000"},
      {"batch", "1000000", "at most the 19 batches of an epoch (900 images in batches of 48)"},
      {"batch", "-5", "an integer from 0"},
      {"batch", "", "got ''"},
      {"global_step", "-1", "an integer from 0"},
      {"global_step", "4", "at least the 5 batches done"},
      {"global_step", "99999999999999999999", "an integer from 0"},
      {"seed", "-1", "from 0 to 18446744073709551615"},
      {"seed", "18446744073709551616", "from 0 to 18446744073709551615"},
      {"rng_offset", "0x10", "an integer"},
      {"batch_size", "0", "from 1 to 1048576"},
      {"batch_size", "4194304", "from 1 to 1048576"},
      {"train_size", "-3", "an integer from 1"},
      {"num_classes", "0", "from 1 to 65536"},
      {"num_classes", "99999999", "from 1 to 65536"},
      {"pixel_mean", "nan", "a number from 0 to 1"},
      {"pixel_mean", "1.5", "a number from 0 to 1"},
      {"pixel_std", "0", "above 0, at most 1"},
      {"pixel_std", "-1", "above 0"},
      {"pixel_scale", "65535", "must be 255"},
      {"input_shape", "1,0,8", "from 1 to 65536"},
      {"input_shape", "1,8,8,8", "a shape C,H,W"},
      {"input_shape", "1,,8", "got ''"},
      {"input_shape", "1,99999999999999999999,8", "from 1 to 65536"},
      {"format_version", "abc", "'format_version' must be an integer"},
      {"format_version", "2", "is 2, but this cudanet"},
      {"optimizer", "lbfgs", "sgd, adam, adamw, rmsprop or empty"},
      {"model", "flatten-dense" + std::string(20000, '9'), "'model' is not a model"},
      {"model", "flatten-bogus10", "'model' is not a model"},
      {"history", "1,1,1,1,1;2,1,1,1,1;3,1,1,1,1", "at most 2 entries"},
      {"history", "2,1,1,1,1", "entries for epochs 1, 2, ... in order"},
      {"history", "1,1,1,1", "at most 2 entries"},
      {"history", "1,1,x,1,1", "a number"},
      {"loss", "hinge", "cross_entropy or mse"},
      {"label_smoothing", "1.5", "a number from 0 to 1"},
      {"label_smoothing", "nan", "a number from 0 to 1"},
  };
  for (const Case& c : cases) {
    TensorMetadata m = valid_metadata();
    m[c.key] = c.value;
    const std::string e = error_of(m);
    INFO(c.key << " = '" << c.value.substr(0, 60) << "': " << e);
    CHECK(e.find("checkpoint run.safetensors") != std::string::npos);
    CHECK(e.find(std::string("'") + c.key + "'") != std::string::npos);
    CHECK(e.find(c.expected) != std::string::npos);
    CHECK(e.find('\n') == std::string::npos);
    CHECK(e.size() < 400);  // a long field is shortened, not echoed whole
  }
  for (const char* key : {"model", "optimizer", "epoch", "batch", "global_step", "seed", "rng_seed", "rng_offset",
                          "lr", "format_version"}) {
    TensorMetadata m = valid_metadata();
    m.erase(key);
    const std::string e = error_of(m);
    INFO(key << ": " << e);
    CHECK(e.find(std::string("'") + key + "' is missing") != std::string::npos);
  }
}

TEST_CASE("a checkpoint whose weights hold NaN or inf is refused by name, not evaluated to chance", "[train]") {
  const std::string path = temp_dir("nan-weights") + "/nan.safetensors";
  Generator gen(3);
  auto model = build_model("flatten-dense16-relu-dense10", Shape{1, 4, 4}, gen);
  Tensor w = model->named_parameters()[2].second;  // "3.weight", (10, 16)
  w.data<float>()[17] = std::numeric_limits<float>::quiet_NaN();
  w.data<float>()[18] = -std::numeric_limits<float>::infinity();
  CheckpointInfo info;
  info.model = "flatten-dense16-relu-dense10";
  save_checkpoint(path, *model, nullptr, info);
  const Checkpoint ck = read_checkpoint(path);
  auto fresh = build_model(ck.info.model, Shape{1, 4, 4}, gen);
  CHECK_THROWS_WITH(restore_model(*fresh, ck, path),
                    Catch::Contains(path) && Catch::Contains("'3.weight' holds 2 NaN or infinite values of 160"));
}
