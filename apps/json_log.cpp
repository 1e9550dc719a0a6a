#include "apps/json_log.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/error.h"
#include "io/file_io.h"

namespace cudanet::app {

namespace {

// Rewrites `path` (atomically) without the lines of epochs after `epochs`.
void keep_until(const std::string& path, int epochs) {
  const std::vector<uint8_t> bytes = read_file(path);
  const std::string text(bytes.begin(), bytes.end());
  std::string kept;
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    // Our epoch lines are flat objects holding "epoch":N; other lines are kept as they are.
    const size_t key = line.find("\"epoch\":");
    if (key != std::string::npos && std::atoll(line.c_str() + key + 8) > epochs) continue;
    kept += line + "\n";
  }
  if (kept.size() != text.size() + (text.empty() || text.back() == '\n' ? 0 : 1))
    write_file_atomic(path, kept.data(), kept.size());
}

}  // namespace

JsonLog::JsonLog(const std::string& path, std::optional<int> resumed_after) {
  if (path.empty()) return;
  std::error_code ec;
  const bool append = resumed_after && std::filesystem::is_regular_file(path, ec);
  if (append) keep_until(path, *resumed_after);
  f_ = std::fopen(path.c_str(), append ? "a" : "w");
  CUDANET_CHECK(f_ != nullptr, "--log ", path, ": cannot open for writing: ", std::strerror(errno));
}

JsonLog::~JsonLog() {
  if (f_) std::fclose(f_);
}

void JsonLog::write(const nlohmann::json& j) {
  if (!f_) return;
  std::fprintf(f_, "%s\n", j.dump().c_str());
  std::fflush(f_);
}

}  // namespace cudanet::app
