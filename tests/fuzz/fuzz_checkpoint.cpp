// libFuzzer target for a checkpoint's metadata. The input is lines of
// "key=value" (set a field) or "key" (remove it) applied to the metadata of a
// valid checkpoint. Any result either loads or throws cudanet::Error in one
// line; what loads satisfies every invariant the trainer relies on and writes
// back to metadata that loads to the same values.
#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>

#include "train/checkpoint.h"

namespace {

cudanet::TensorMetadata base() {
  using namespace cudanet;
  CheckpointInfo info;
  info.model = "seed-cnn";
  info.position = {2, 5, 43};
  info.lr = 0.002;
  info.input = {0.25f, 0.5f};
  info.input_shape = Shape{1, 28, 28};
  info.epochs = 7;
  info.batch_size = 48;
  info.train_size = 900;
  info.base_lr = 0.003;
  TensorMetadata m = checkpoint_metadata(info, nullptr);
  m["optimizer"] = "adam";
  return m;
}

bool same(const cudanet::CheckpointInfo& a, const cudanet::CheckpointInfo& b) {
  return a.model == b.model && a.optimizer == b.optimizer && a.position.epoch == b.position.epoch &&
         a.position.batch == b.position.batch && a.position.global_step == b.position.global_step &&
         a.seed == b.seed && a.rng_seed == b.rng_seed && a.rng_offset == b.rng_offset && a.lr == b.lr &&
         a.input.mean == b.input.mean && a.input.stddev == b.input.stddev &&
         a.num_classes == b.num_classes && a.input_shape == b.input_shape && a.epochs == b.epochs &&
         a.batch_size == b.batch_size && a.train_size == b.train_size && a.base_lr == b.base_lr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cudanet;
  static const TensorMetadata kBase = base();
  TensorMetadata m = kBase;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string_view line = text.substr(at, end - at);
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      m.erase(std::string(line));
    else
      m[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    at = end + 1;
  }
  CheckpointInfo info;
  try {
    info = checkpoint_info(m, "fuzz.safetensors");
  } catch (const Error& e) {
    const std::string w = e.what();
    // One line, whatever the field held (values are shortened when echoed).
    if (w.find('\n') != std::string::npos || w.size() > 5000) std::abort();
    return 0;
  }
  const TrainPosition& p = info.position;
  bool ok = p.epoch >= 0 && p.epoch <= kMaxEpochs && p.batch >= 0 && p.global_step >= p.batch &&
            std::isfinite(info.lr) && info.lr >= 0 && info.input.stddev > 0 && info.input.stddev <= 1 &&
            info.input.mean >= 0 && info.input.mean <= 1 && info.num_classes >= 1;
  if (info.epochs) ok = ok && *info.epochs >= 1 && p.epoch <= *info.epochs;
  if (info.batch_size) ok = ok && *info.batch_size >= 1 && *info.batch_size <= kMaxBatchSize;
  if (info.batch_size && info.train_size)
    ok = ok && p.batch <= (*info.train_size + *info.batch_size - 1) / *info.batch_size;
  for (int i = 0; i < info.input_shape.ndim(); ++i) ok = ok && info.input_shape[i] >= 1;
  if (!ok) std::abort();
  // What loaded writes back (extra keys and all) to metadata that loads the same
  // (a checkpoint without pixel_mean/pixel_std is written back as unstandardised).
  const CheckpointInfo again = checkpoint_info(checkpoint_metadata(info, nullptr), "again.safetensors");
  if (!same(info, again)) std::abort();
  return 0;
}
