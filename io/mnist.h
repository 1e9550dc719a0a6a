#pragma once
// MNIST-style datasets (MNIST, Fashion-MNIST, KMNIST...): a folder holding the
// four IDX files under MNIST's names, each plain or gzip-compressed.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "io/dataset.h"

namespace cudanet {

enum class MnistSplit : unsigned char { Train, Test };

struct MnistFiles {
  std::string images, labels;  // full paths
};

// The names tried for a file stem such as "train-images-idx3-ubyte", in order:
// the stem and the stem + ".gz", then both again with '.' in place of the
// second-to-last '-' ("train-images.idx3-ubyte"), then in place of the last
// ("train-images-idx3.ubyte"): the variants downloads come with.
std::vector<std::string> mnist_file_names(const std::string& stem);

// The split's images and labels in `dir`; an Error listing every name looked
// for when one is missing.
MnistFiles find_mnist_files(const std::string& dir, MnistSplit split);
// The same without the error: a path is empty where its file is missing, and
// `tried` (when given) receives the names looked for without success.
MnistFiles locate_mnist_files(const std::string& dir, MnistSplit split, std::string* tried = nullptr);

struct MnistOptions {
  MnistSplit split = MnistSplit::Train;
  int64_t limit = 0;           // keep only the first `limit` samples; 0 keeps all
  bool standardize = false;    // (x - mean) / std after scaling to [0, 1]
  float mean = std::nanf("");  // statistics to standardise with; NaN: computed from these samples
  float stddev = std::nanf("");
  int num_classes = 10;        // every label must be in [0, num_classes)
};

// Images (N, 1, H, W) float32 in [0, 1] (or standardised), labels (N) int32, on the CPU.
Dataset load_mnist(const std::string& dir, const MnistOptions& options = {});

// The same from explicit files (checks counts, shapes and label range).
Dataset load_mnist_files(const MnistFiles& files, const MnistOptions& options = {});

}  // namespace cudanet
