#pragma once
// The trainer's --log file: one JSON object per line. A resumed run appends to
// it, keeping what came before, so one file holds the whole run; the lines of
// epochs after the checkpoint's (from a run that went on past it) are dropped
// first, since the resumed run trains those epochs again.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace cudanet::app {

class JsonLog {
 public:
  // No file when `path` is empty; `resumed_after`: the epochs a resumed run's checkpoint completed.
  JsonLog(const std::string& path, std::optional<int> resumed_after);
  ~JsonLog();
  JsonLog(const JsonLog&) = delete;
  JsonLog& operator=(const JsonLog&) = delete;
  void write(const nlohmann::json& j);

 private:
  std::FILE* f_ = nullptr;
};

}  // namespace cudanet::app
