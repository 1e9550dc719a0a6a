#pragma once
// What the command-line tests share: running cudanet-train and reading what it
// printed, and small datasets to train on.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "io/idx.h"
#include "io_test_util.h"

namespace cudanet::test {


struct Run {
  int code;
  std::string out;
};

// The trainer built beside this test, or $CUDANET_TRAIN_EXE when the build was
// moved (tools/gpu-check.sh runs a build made on another machine).
inline std::string trainer() {
  const char* e = std::getenv("CUDANET_TRAIN_EXE");
  return e && *e ? e : CUDANET_TRAIN_EXE;
}

inline Run run(const std::string& args) {
  const std::string cmd = trainer() + " " + args + " 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  INFO(cmd << "\n" << out);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

inline int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

inline std::string digits_dir() {
  return require_data_dir("CUDANET_MNIST_DIR", std::string(CUDANET_SOURCE_DIR) + "/../shared/data/mnist-digits-10k",
                          "the 10k MNIST digits");
}

// A dataset folder of `n` tiny random images with train and test files.
inline std::string tiny_dataset(const std::string& name, int64_t n) {
  const std::string dir = temp_dir(name);
  IdxArray images = IdxArray::zeros(IdxType::u8, {n, 28, 28});
  IdxArray labels = IdxArray::zeros(IdxType::u8, {n});
  for (int64_t i = 0; i < n; ++i) {
    labels.data<uint8_t>()[i] = static_cast<uint8_t>(i % 10);
    for (int p = 0; p < 28 * 28; ++p) images.data<uint8_t>()[i * 784 + p] = static_cast<uint8_t>((i * 31 + p * 7) % 251);
  }
  for (const char* split : {"train", "t10k"}) {
    write_idx(dir + "/" + split + "-images-idx3-ubyte", images, false);
    write_idx(dir + "/" + split + "-labels-idx1-ubyte", labels, false);
  }
  return dir;
}

}  // namespace cudanet::test
