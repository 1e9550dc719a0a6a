#include "train/checkpoint.h"

#include <cstdlib>

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
  char lr[32];
  std::snprintf(lr, sizeof lr, "%.17g", optimizer ? optimizer->lr() : info.lr);
  meta["lr"] = lr;
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
