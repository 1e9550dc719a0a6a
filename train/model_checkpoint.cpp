// ModelCheckpoint and the file-name patterns it expands (Keras's "{epoch:02d}").
#include <charconv>
#include <cstdio>

#include "core/error.h"
#include "train/callbacks.h"
#include "train/checkpoint.h"

namespace cudanet {

namespace {

constexpr int kMaxWidth = 64, kMaxPrecision = 17;

// One "{name:spec}" field, the text between the braces.
std::string format_field(const std::string& field, const EpochStats& s, const std::string& pattern) {
  const size_t colon = field.find(':');
  const std::string name = field.substr(0, colon), spec = colon == std::string::npos ? "" : field.substr(colon + 1);
  auto fail = [&](const std::string& why) -> std::string {
    throw Error("file-name pattern '" + pattern + "': {" + field + "}: " + why);
  };
  double value = 0;
  const bool integer = name == "epoch";
  if (integer) value = s.epoch;
  else if (name == "loss") value = s.loss;
  else if (name == "accuracy") value = s.accuracy;
  else if (name == "val_loss") value = s.val_loss;
  else if (name == "val_accuracy") value = s.val_accuracy;
  else if (name == "lr") value = s.lr;
  else fail("unknown field (known: epoch, loss, accuracy, val_loss, val_accuracy, lr)");

  // spec: [0][width][.precision][d|f|e|g]
  size_t i = 0;
  const bool zero = i < spec.size() && spec[i] == '0';
  if (zero) ++i;
  int width = 0, precision = -1;
  auto number = [&](int& out, int max) {
    const size_t start = i;
    while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') ++i;
    if (i == start) return false;
    const auto [end, ec] = std::from_chars(spec.data() + start, spec.data() + i, out);
    if (ec != std::errc() || out > max) fail("a number in the spec above " + std::to_string(max));
    return true;
  };
  number(width, kMaxWidth);
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    if (!number(precision, kMaxPrecision)) fail("'.' without a precision");
  }
  char type = 0;
  if (i < spec.size()) type = spec[i++];
  if (i != spec.size() || (type && type != 'd' && type != 'f' && type != 'e' && type != 'g'))
    fail("the spec is [0][width][.precision][d|f|e|g]");
  if (type == 'd' && !integer) fail("'d' formats the epoch only (the others are real numbers: f, e or g)");
  if (type == 'd' && precision >= 0) fail("'d' takes no precision");

  char buf[160];
  if (integer && (type == 'd' || (!type && precision < 0))) {
    std::snprintf(buf, sizeof buf, zero ? "%0*d" : "%*d", width, s.epoch);
  } else if (!type && precision < 0) {
    std::string text = float_text(value);  // as Python's str(float)
    if (static_cast<int>(text.size()) < width) text.insert(0, width - text.size(), zero ? '0' : ' ');
    return text;
  } else {
    const char t = type ? type : 'g';
    const std::string f = std::string("%") + (zero ? "0" : "") + "*.*" + t;
    std::snprintf(buf, sizeof buf, f.c_str(), width, precision < 0 ? 6 : precision, value);
  }
  return buf;
}

}  // namespace

std::string format_epoch_pattern(const std::string& pattern, const EpochStats& s) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if ((c == '{' || c == '}') && i + 1 < pattern.size() && pattern[i + 1] == c) {
      out += c, ++i;
      continue;
    }
    if (c == '}') throw Error("file-name pattern '" + pattern + "': a '}' without its '{' (write }} for a brace)");
    if (c != '{') {
      out += c;
      continue;
    }
    const size_t close = pattern.find('}', i);
    if (close == std::string::npos)
      throw Error("file-name pattern '" + pattern + "': a '{' without its '}' (write {{ for a brace)");
    out += format_field(pattern.substr(i + 1, close - i - 1), s, pattern);
    i = close;
  }
  return out;
}

bool is_epoch_pattern(const std::string& pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') continue;
    if (i + 1 < pattern.size() && pattern[i + 1] == '{') ++i;
    else return true;
  }
  return false;
}

ModelCheckpoint::ModelCheckpoint(ModelCheckpointOptions o) : o_(std::move(o)), best_(o_.monitor, o_.mode, 0) {
  CUDANET_CHECK(!o_.filepath.empty(), "model checkpoint: no file path");
  CUDANET_CHECK(static_cast<bool>(o_.info), "model checkpoint: no metadata function (info)");
  EpochStats probe;
  probe.epoch = 1;
  format_epoch_pattern(o_.filepath, probe);  // a bad pattern is refused before training
}

void ModelCheckpoint::on_train_begin(TrainState& s) {
  best_.reset();
  if (!o_.save_best_only) return;
  CUDANET_CHECK(o_.monitor.rfind("val_", 0) != 0 || s.has_validation, "model checkpoint monitors ", o_.monitor,
                ", but fit() has no validation set: give one, or monitor loss or accuracy");
  // A resumed run saves only what beats every epoch before it.
  for (const EpochStats& e : s.history) {
    const double v = monitor_value(e, o_.monitor);
    if (best_.improves(v)) best_.set_best(v);
  }
}

void ModelCheckpoint::on_epoch_end(const EpochStats& e, TrainState& s) {
  if (o_.save_best_only) {
    const double v = monitor_value(e, o_.monitor);
    if (!best_.improves(v)) return;  // NaN never improves
    best_.set_best(v);
  }
  const std::string path = format_epoch_pattern(o_.filepath, e);
  save_checkpoint(path, s.model, o_.save_weights_only ? nullptr : &s.optimizer, o_.info(e, s));
  last_saved_ = path;
  last_epoch_ = e.epoch;
}

}  // namespace cudanet
