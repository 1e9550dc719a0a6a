#include "train/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/version.h"
#include "io/safetensors.h"

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

std::string need(const TensorMetadata& m, const char* key, const std::string& path) {
  auto it = m.find(key);
  CUDANET_CHECK(it != m.end(), "checkpoint ", path, ": metadata '", key,
                "' is missing (not a cudanet training checkpoint?)");
  return it->second;
}

int64_t to_int(const std::string& s, const char* key, const std::string& path) {
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  CUDANET_CHECK(!s.empty() && *end == '\0', "checkpoint ", path, ": metadata '", key, "' is not an integer: '", s, "'");
  return v;
}

double to_double(const std::string& s, const char* key, const std::string& path) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  CUDANET_CHECK(!s.empty() && *end == '\0' && std::isfinite(v), "checkpoint ", path, ": metadata '", key,
                "' is not a number: '", s, "'");
  return v;
}

// The value of an optional key, parsed; nullopt when the key is absent.
template <class T, class Parse>
std::optional<T> optional_key(const TensorMetadata& m, const char* key, const std::string& path, Parse parse) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return static_cast<T>(parse(it->second, key, path));
}

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
    const int64_t d = to_int(text.substr(at, comma - at), "input_shape", path);
    CUDANET_CHECK(d > 0 && dims.size() < static_cast<size_t>(kMaxDims), "checkpoint ", path,
                  ": metadata 'input_shape' is not a shape: '", text, "'");
    dims.push_back(d);
    at = comma + 1;
  }
  return Shape(dims);
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

void save_checkpoint(const std::string& path, const Module& model, const Optimizer* optimizer,
                     const CheckpointInfo& info) {
  NamedTensors all = with_prefix(model.named_parameters(), kModelPrefix);
  for (auto& nt : with_prefix(model.named_buffers(), kBufferPrefix)) all.push_back(nt);
  if (optimizer)
    for (auto& nt : with_prefix(optimizer->state(), kOptimPrefix)) all.push_back(nt);
  TensorMetadata meta = info.extra;
  meta["format"] = "cudanet-checkpoint";
  meta["format_version"] = std::to_string(kCheckpointFormatVersion);
  meta["cudanet_version"] = CUDANET_VERSION_STRING;
  meta["model"] = info.model;
  meta["optimizer"] = optimizer ? optimizer->name() : "";
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
  save_safetensors(path, all, meta);
}

Checkpoint read_checkpoint(const std::string& path) {
  SafetensorsFile f = load_safetensors(path);
  const TensorMetadata& m = f.metadata;
  CUDANET_CHECK(m.count("format") && m.at("format") == "cudanet-checkpoint", "checkpoint ", path,
                ": not a cudanet training checkpoint (its __metadata__ has no format \"cudanet-checkpoint\")");
  const int64_t version = to_int(need(m, "format_version", path), "format_version", path);
  CUDANET_CHECK(version == kCheckpointFormatVersion, "checkpoint ", path, ": format version ", version,
                ", but this cudanet (", CUDANET_VERSION_STRING, ") reads version ", kCheckpointFormatVersion);
  Checkpoint c;
  c.tensors = std::move(f.tensors);
  c.info.model = need(m, "model", path);
  c.info.optimizer = need(m, "optimizer", path);
  c.info.position.epoch = static_cast<int>(to_int(need(m, "epoch", path), "epoch", path));
  c.info.position.batch = to_int(need(m, "batch", path), "batch", path);
  c.info.position.global_step = to_int(need(m, "global_step", path), "global_step", path);
  c.info.seed = static_cast<uint64_t>(to_int(need(m, "seed", path), "seed", path));
  c.info.rng_seed = static_cast<uint64_t>(to_int(need(m, "rng_seed", path), "rng_seed", path));
  c.info.rng_offset = static_cast<uint64_t>(to_int(need(m, "rng_offset", path), "rng_offset", path));
  c.info.lr = std::strtod(need(m, "lr", path).c_str(), nullptr);
  // Keys added after format 1's first checkpoints: absent ones keep the defaults.
  const auto pixel_scale = optional_key<double>(m, "pixel_scale", path, to_double);
  CUDANET_CHECK(!pixel_scale || *pixel_scale == 255, "checkpoint ", path, ": its pixels were divided by ",
                m.at("pixel_scale"), ", but this cudanet (", CUDANET_VERSION_STRING, ") only divides them by 255");
  const auto mean = optional_key<float>(m, "pixel_mean", path, to_double);
  const auto stddev = optional_key<float>(m, "pixel_std", path, to_double);
  c.info.input_known = mean && stddev;
  if (c.info.input_known) c.info.input = {*mean, *stddev};
  CUDANET_CHECK(c.info.input.stddev > 0, "checkpoint ", path, ": metadata 'pixel_std' must be > 0, got ",
                c.info.input.stddev);
  c.info.num_classes = optional_key<int>(m, "num_classes", path, to_int).value_or(10);
  CUDANET_CHECK(c.info.num_classes > 0, "checkpoint ", path, ": metadata 'num_classes' must be > 0, got ",
                c.info.num_classes);
  if (m.count("input_shape")) c.info.input_shape = parse_shape(m.at("input_shape"), path);
  c.info.epochs = optional_key<int>(m, "epochs", path, to_int);
  c.info.batch_size = optional_key<int64_t>(m, "batch_size", path, to_int);
  c.info.train_size = optional_key<int64_t>(m, "train_size", path, to_int);
  c.info.base_lr = optional_key<double>(m, "base_lr", path, to_double);
  for (const auto& [k, v] : m) c.info.extra[k] = v;
  return c;
}

void restore_model(Module& model, const Checkpoint& ckpt, const std::string& path) {
  NamedTensors expected = model.named_parameters();
  for (auto& nt : model.named_buffers()) expected.push_back(nt);
  NamedTensors loaded = section(ckpt, kModelPrefix);
  for (auto& nt : section(ckpt, kBufferPrefix)) loaded.push_back(nt);
  check_compatible(expected, loaded, path + " (model '" + ckpt.info.model + "')");
  copy_into(expected, ordered(expected, loaded));
}

void restore_optimizer(Optimizer& optimizer, const Checkpoint& ckpt, const std::string& path) {
  CUDANET_CHECK(ckpt.info.optimizer == optimizer.name(), "checkpoint ", path, " holds the state of optimizer '",
                ckpt.info.optimizer, "', but training uses '", optimizer.name(), "'");
  optimizer.load_state(section(ckpt, kOptimPrefix));
  optimizer.set_lr(ckpt.info.lr);
}

}  // namespace cudanet
