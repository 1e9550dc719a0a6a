#include "train/checkpoint.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/version.h"
#include "io/safetensors.h"
#include "layers/model_spec.h"
#include "layers/zoo.h"
#include "train/losses.h"

namespace cudanet {

namespace {

const char* kModelPrefix = "model.";
const char* kBufferPrefix = "buffer.";
const char* kOptimPrefix = "optim.";

NamedTensors with_prefix(const NamedTensors& in, const std::string& prefix) {
  NamedTensors out;
  for (const auto& [n, t] : in) out.push_back({prefix + n, t});
  return out;
}

// The tensors of `ckpt` under `prefix`, with the prefix removed.
NamedTensors section(const Checkpoint& ckpt, const std::string& prefix) {
  NamedTensors out;
  for (const auto& [n, t] : ckpt.tensors)
    if (n.rfind(prefix, 0) == 0) out.push_back({n.substr(prefix.size()), t});
  return out;
}

// Every metadata field is checked where it is read: one line naming the file,
// the field, the range expected and the text found. A checkpoint is input like
// any other file, and a hostile or damaged one must not resume at lr 0 or wrap
// an epoch counter.
[[noreturn]] void bad_field(const std::string& path, const char* key, const std::string& expected,
                            const std::string& text) {
  const std::string shown = text.size() > 40 ? text.substr(0, 40) + "..." : text;
  CUDANET_FAIL("checkpoint ", path, ": metadata '", key, "' must be ", expected, ", got '", shown, "'");
}

template <class T>
T int_field(const std::string& s, const char* key, const std::string& path, T lo, T hi) {
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi)
    bad_field(path, key, "an integer from " + std::to_string(lo) + " to " + std::to_string(hi), s);
  return v;
}

// A finite number in [lo, hi] ((lo, hi] when lo_open); hi = kNoLimit for none.
constexpr double kNoLimit = std::numeric_limits<double>::max();

std::string real_range(double lo, double hi, bool lo_open) {
  char buf[96];
  if (hi == kNoLimit)
    std::snprintf(buf, sizeof buf, lo_open ? "a finite number above %g" : "a finite number of %g or more", lo);
  else
    std::snprintf(buf, sizeof buf, lo_open ? "a number above %g, at most %g" : "a number from %g to %g", lo, hi);
  return buf;
}

double real_field(const std::string& s, const char* key, const std::string& path, double lo, double hi,
                  bool lo_open = false, bool any = false) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  const bool parsed = !s.empty() && !std::isspace(static_cast<unsigned char>(s[0])) && end == s.c_str() + s.size();
  const bool ok = parsed && (any || (std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi));
  if (!ok) bad_field(path, key, any ? "a number" : real_range(lo, hi, lo_open), s);
  return v;
}

const std::string* find(const TensorMetadata& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

const std::string& need(const TensorMetadata& m, const char* key, const std::string& path) {
  const std::string* v = find(m, key);
  CUDANET_CHECK(v, "checkpoint ", path, ": metadata '", key, "' is missing (not a cudanet training checkpoint?)");
  return *v;
}

// Limits of the fields that have no flag of their own to share.
constexpr int64_t kMaxCount = int64_t{1} << 50;  // images, batches, steps
constexpr int kMaxClasses = 1 << 16;
constexpr int64_t kMaxImageDim = 1 << 16;

// Round-trips exactly: 9 significant digits for a float, 17 for a double.
std::string exact(double v, int digits) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

// "1,28,28" <-> (1, 28, 28).
std::string shape_text(const Shape& s) {
  std::string t;
  for (int i = 0; i < s.ndim(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t;
}

Shape parse_shape(const std::string& text, const std::string& path) {
  std::vector<int64_t> dims;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const int64_t d = int_field<int64_t>(text.substr(at, comma - at), "input_shape", path, 1, kMaxImageDim);
    if (dims.size() >= 3) bad_field(path, "input_shape", "a shape C,H,W", text);
    dims.push_back(d);
    at = comma + 1;
  }
  return Shape(dims);
}

// A model whose weights hold NaN or inf predicts nothing: refuse it by name
// rather than evaluate it to chance accuracy.
void check_finite(const NamedTensors& tensors, const std::string& path) {
  for (const auto& [name, t] : tensors) {
    if (!is_floating(t.dtype())) continue;
    const Tensor f = t.to(Device::cpu()).to(DType::f64);
    int64_t bad = 0;
    for (int64_t i = 0; i < f.numel(); ++i) bad += !std::isfinite(f.data<double>()[i]);
    CUDANET_CHECK(bad == 0, "checkpoint ", path, ": '", name, "' holds ", bad, " NaN or infinite values of ", f.numel(),
                  " (the run that wrote it diverged; use an earlier checkpoint)");
  }
}

// The epochs done, as "epoch,loss,accuracy,seconds,images/s[,val_loss,val_accuracy]"
// joined by ';': flat text a reader parses without recursion.
std::string history_text(const std::vector<EpochStats>& history) {
  std::string t;
  for (const EpochStats& e : history) {
    if (!t.empty()) t += ';';
    t += std::to_string(e.epoch);
    // 17 digits: a resumed run's callbacks replay the very numbers the run compared.
    for (double v : {e.loss, e.accuracy, e.seconds, e.images_per_second}) t += ',' + exact(v, 17);
    if (e.has_val) t += ',' + exact(e.val_loss, 17) + ',' + exact(e.val_accuracy, 17);
  }
  return t;
}

std::vector<EpochStats> parse_history(const std::string& text, int epochs_done, const std::string& path) {
  std::vector<EpochStats> out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = std::min(text.find(';', at), text.size());
    const std::string entry = text.substr(at, end - at);
    std::vector<std::string> f;
    for (size_t p = 0;;) {
      const size_t comma = std::min(entry.find(',', p), entry.size());
      f.push_back(entry.substr(p, comma - p));
      if (comma == entry.size()) break;
      p = comma + 1;
    }
    const int n = static_cast<int>(out.size()) + 1;
    if ((f.size() != 5 && f.size() != 7) || n > epochs_done)
      bad_field(path, "history",
                "at most " + std::to_string(epochs_done) +
                    " entries 'epoch,loss,accuracy,seconds,images/s[,val_loss,val_accuracy]' joined by ';'",
                entry);
    EpochStats e;
    e.epoch = n;
    if (f[0] != std::to_string(n)) bad_field(path, "history", "entries for epochs 1, 2, ... in order", entry);
    // Losses may be NaN (a run with --no-terminate-on-nan); anything else is a number.
    auto number = [&](const std::string& v) { return real_field(v, "history", path, -kNoLimit, kNoLimit, false, true); };
    e.loss = number(f[1]);
    e.accuracy = number(f[2]);
    e.seconds = number(f[3]);
    e.images_per_second = number(f[4]);
    if (f.size() == 7) e.has_val = true, e.val_loss = number(f[5]), e.val_accuracy = number(f[6]);
    out.push_back(e);
    at = end + 1;
  }
  return out;
}

void copy_into(const NamedTensors& dst, const NamedTensors& src) {
  for (size_t i = 0; i < dst.size(); ++i) dst[i].second.detach().copy_(src[i].second);
}

// Tensors in the order `expected` lists them (check_compatible has run).
NamedTensors ordered(const NamedTensors& expected, const NamedTensors& loaded) {
  NamedTensors out;
  for (const auto& [n, t] : expected)
    for (const auto& [ln, lt] : loaded)
      if (ln == n) out.push_back({ln, lt});
  return out;
}

}  // namespace

TensorMetadata checkpoint_metadata(const CheckpointInfo& info, const Optimizer* optimizer) {
  TensorMetadata meta = info.extra;
  meta["format"] = "cudanet-checkpoint";
  meta["format_version"] = std::to_string(kCheckpointFormatVersion);
  meta["cudanet_version"] = CUDANET_VERSION_STRING;
  meta["model"] = info.model;
  meta["optimizer"] = optimizer ? optimizer->name() : info.optimizer;
  meta["epoch"] = std::to_string(info.position.epoch);
  meta["batch"] = std::to_string(info.position.batch);
  meta["global_step"] = std::to_string(info.position.global_step);
  meta["seed"] = std::to_string(info.seed);
  meta["rng_seed"] = std::to_string(info.rng_seed);
  meta["rng_offset"] = std::to_string(info.rng_offset);
  meta["lr"] = exact(optimizer ? optimizer->lr() : info.lr, 17);
  meta["pixel_scale"] = "255";
  meta["pixel_mean"] = exact(info.input.mean, 9);
  meta["pixel_std"] = exact(info.input.stddev, 9);
  meta["num_classes"] = std::to_string(info.num_classes);
  if (info.input_shape.ndim() > 0) meta["input_shape"] = shape_text(info.input_shape);
  if (info.epochs) meta["epochs"] = std::to_string(*info.epochs);
  if (info.batch_size) meta["batch_size"] = std::to_string(*info.batch_size);
  if (info.train_size) meta["train_size"] = std::to_string(*info.train_size);
  if (info.base_lr) meta["base_lr"] = exact(*info.base_lr, 17);
  if (!info.history.empty()) meta["history"] = history_text(info.history);
  meta["loss"] = info.loss;
  if (info.label_smoothing != 0) meta["label_smoothing"] = exact(info.label_smoothing, 17);
  return meta;
}

void save_checkpoint(const std::string& path, const Module& model, const Optimizer* optimizer,
                     const CheckpointInfo& info) {
  NamedTensors all = with_prefix(model.named_parameters(), kModelPrefix);
  for (auto& nt : with_prefix(model.named_buffers(), kBufferPrefix)) all.push_back(nt);
  if (optimizer)
    for (auto& nt : with_prefix(optimizer->state(), kOptimPrefix)) all.push_back(nt);
  save_safetensors(path, all, checkpoint_metadata(info, optimizer));
}

Checkpoint read_checkpoint(const std::string& path) {
  SafetensorsFile f = load_safetensors(path);
  Checkpoint c;
  c.info = checkpoint_info(f.metadata, path);
  c.tensors = std::move(f.tensors);
  return c;
}

CheckpointInfo checkpoint_info(const TensorMetadata& m, const std::string& path) {
  CUDANET_CHECK(m.count("format") && m.at("format") == "cudanet-checkpoint", "checkpoint ", path,
                ": not a cudanet training checkpoint (its __metadata__ has no format \"cudanet-checkpoint\")");
  const int version = int_field(need(m, "format_version", path), "format_version", path, 0, 1 << 30);
  CUDANET_CHECK(version == kCheckpointFormatVersion, "checkpoint ", path, ": metadata 'format_version' is ", version,
                ", but this cudanet (", CUDANET_VERSION_STRING, ") reads version ", kCheckpointFormatVersion);
  CheckpointInfo i;
  i.model = need(m, "model", path);
  try {
    parse_model(model_description(i.model));
  } catch (const ModelSpecError& e) {
    CUDANET_FAIL("checkpoint ", path, ": metadata 'model' is not a model: ", e.what());
  }
  i.optimizer = need(m, "optimizer", path);  // empty: saved without one
  if (!i.optimizer.empty() && std::ranges::find_if(kOptimizerNames, [&](const char* n) {
                                return i.optimizer == n;
                              }) == std::end(kOptimizerNames))
    bad_field(path, "optimizer", "sgd, adam, adamw, rmsprop or empty", i.optimizer);
  i.position.epoch = int_field(need(m, "epoch", path), "epoch", path, 0, kMaxEpochs);
  i.position.batch = int_field<int64_t>(need(m, "batch", path), "batch", path, 0, kMaxCount);
  i.position.global_step = int_field<int64_t>(need(m, "global_step", path), "global_step", path, 0, kMaxCount);
  constexpr uint64_t kAny = std::numeric_limits<uint64_t>::max();
  i.seed = int_field<uint64_t>(need(m, "seed", path), "seed", path, 0, kAny);
  i.rng_seed = int_field<uint64_t>(need(m, "rng_seed", path), "rng_seed", path, 0, kAny);
  i.rng_offset = int_field<uint64_t>(need(m, "rng_offset", path), "rng_offset", path, 0, kAny);
  i.lr = real_field(need(m, "lr", path), "lr", path, 0, kNoLimit);
  // Keys added after format 1's first checkpoints: absent ones keep the defaults.
  if (const std::string* v = find(m, "pixel_scale"); v && *v != "255")
    bad_field(path, "pixel_scale", "255 (the only pixel scaling this cudanet " CUDANET_VERSION_STRING " knows)", *v);
  const std::string* mean = find(m, "pixel_mean");
  const std::string* stddev = find(m, "pixel_std");
  i.input_known = mean && stddev;
  if (i.input_known)  // of pixels already scaled to [0, 1]
    i.input = {static_cast<float>(real_field(*mean, "pixel_mean", path, 0, 1)),
               static_cast<float>(real_field(*stddev, "pixel_std", path, 0, 1, true))};
  if (const std::string* v = find(m, "num_classes")) i.num_classes = int_field(*v, "num_classes", path, 1, kMaxClasses);
  if (const std::string* v = find(m, "input_shape")) i.input_shape = parse_shape(*v, path);
  if (const std::string* v = find(m, "epochs")) i.epochs = int_field(*v, "epochs", path, 1, kMaxEpochs);
  if (const std::string* v = find(m, "batch_size"))
    i.batch_size = int_field<int64_t>(*v, "batch_size", path, 1, kMaxBatchSize);
  if (const std::string* v = find(m, "train_size"))
    i.train_size = int_field<int64_t>(*v, "train_size", path, 1, kMaxCount);
  if (const std::string* v = find(m, "base_lr")) i.base_lr = real_field(*v, "base_lr", path, 0, kNoLimit);
  if (const std::string* v = find(m, "history")) i.history = parse_history(*v, i.position.epoch, path);
  if (const std::string* v = find(m, "loss")) {
    if (std::ranges::find_if(kLossNames, [&](const char* n) { return *v == n; }) == std::end(kLossNames))
      bad_field(path, "loss", "cross_entropy or mse", *v);
    i.loss = *v;
  }
  if (const std::string* v = find(m, "label_smoothing")) {
    i.label_smoothing = real_field(*v, "label_smoothing", path, 0, 1);
    if (i.loss != "cross_entropy" && i.label_smoothing != 0)
      bad_field(path, "label_smoothing", "0 with loss " + i.loss + " (smoothing applies to cross_entropy)", *v);
  }
  // The fields agree with each other: the position lies inside the run.
  if (i.batch_size && i.train_size) {
    const int64_t batches = (*i.train_size + *i.batch_size - 1) / *i.batch_size;
    if (i.position.batch > batches)
      bad_field(path, "batch",
                "at most the " + std::to_string(batches) + " batches of an epoch (" + std::to_string(*i.train_size) +
                    " images in batches of " + std::to_string(*i.batch_size) + ")",
                std::to_string(i.position.batch));
  }
  if (i.epochs && i.position.epoch > *i.epochs)
    bad_field(path, "epoch", "at most the run's " + std::to_string(*i.epochs) + " epochs",
              std::to_string(i.position.epoch));
  if (i.position.global_step < i.position.batch)
    bad_field(path, "global_step", "at least the " + std::to_string(i.position.batch) + " batches done in its epoch",
              std::to_string(i.position.global_step));
  for (const auto& [k, v] : m) i.extra[k] = v;
  return i;
}

void restore_model(Module& model, const Checkpoint& ckpt, const std::string& path) {
  NamedTensors expected = model.named_parameters();
  for (auto& nt : model.named_buffers()) expected.push_back(nt);
  NamedTensors loaded = section(ckpt, kModelPrefix);
  for (auto& nt : section(ckpt, kBufferPrefix)) loaded.push_back(nt);
  check_compatible(expected, loaded, path + " (model '" + ckpt.info.model + "')");
  const NamedTensors in_order = ordered(expected, loaded);
  check_finite(in_order, path);
  copy_into(expected, in_order);
}

void restore_optimizer(Optimizer& optimizer, const Checkpoint& ckpt, const std::string& path) {
  CUDANET_CHECK(ckpt.info.optimizer == optimizer.name(), "checkpoint ", path, " holds the state of optimizer '",
                ckpt.info.optimizer, "', but training uses '", optimizer.name(), "'");
  optimizer.load_state(section(ckpt, kOptimPrefix));
  optimizer.set_lr(ckpt.info.lr);
}

}  // namespace cudanet
