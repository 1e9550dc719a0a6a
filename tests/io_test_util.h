#pragma once
// Helpers for the io tests: scratch folders, optional inputs that skip when
// absent (exit 77, registered with ctest as skipped), and raw file writes.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "test_util.h"

namespace cudanet::test {

// An empty folder of its own under CUDANET_TEST_TMP (set by ctest) or the system temp folder.
inline std::string temp_dir(const std::string& name) {
  const char* root = std::getenv("CUDANET_TEST_TMP");
  std::filesystem::path p = root ? std::filesystem::path(root) : std::filesystem::temp_directory_path() / "cudanet-tests";
  p /= name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

inline void write_raw(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  // An empty vector's data() may be null, and fwrite's pointer must not be even for 0 bytes.
  if (!bytes.empty()) REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
  std::fclose(f);
}

// First line of a test that needs something this machine may lack.
[[noreturn]] inline void skip_test(const std::string& why) {
  std::printf("SKIPPED: %s\n", why.c_str());
  std::fflush(stdout);
  std::exit(kSkip);
}

// A dataset folder: the environment variable if set, else the default; skips when absent.
inline std::string require_data_dir(const char* env, const std::string& fallback, const char* what) {
  const char* e = std::getenv(env);
  const std::string dir = e && *e ? e : fallback;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    skip_test(std::string(what) + " not found at '" + dir + "' (set " + env + " to its folder)");
  return dir;
}

}  // namespace cudanet::test
