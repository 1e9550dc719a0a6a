#include "io/mnist.h"

#include <algorithm>
#include <filesystem>

#include "core/threads.h"
#include "io/idx.h"

namespace cudanet {

namespace {

const char* split_name(MnistSplit s) { return s == MnistSplit::Train ? "training" : "test"; }

// The first existing candidate, or "" after appending the names tried to `tried`.
// The first of the stem's names that is a regular file in `dir`, or "" with the
// names appended to `tried` (and a note for a name that is a link to nothing).
std::string find_one(const std::filesystem::path& dir, const std::string& stem, std::string& tried) {
  const std::vector<std::string> names = mnist_file_names(stem);
  for (const std::string& n : names) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(dir / n, ec)) return (dir / n).string();
  }
  for (const std::string& n : names) {
    std::error_code ec;
    tried += (tried.empty() ? "" : ", ") + n;
    if (std::filesystem::is_symlink(dir / n, ec) && !std::filesystem::exists(dir / n, ec))
      tried += " (a symbolic link to '" + std::filesystem::read_symlink(dir / n, ec).string() +
               "', which does not exist)";
  }
  return "";
}

template <class T>
void copy_pixels(float* dst, const T* src, int64_t n, float scale) {
#pragma omp parallel for if (n > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]) * scale;
}

template <class T>
void copy_labels(int32_t* dst, const T* src, int64_t n, int num_classes, const std::string& file) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = src[i];
    CUDANET_CHECK(v >= 0 && v < num_classes, "labels file '", file, "': label ", v, " at index ", i,
                  " is outside the class range [0, ", num_classes, ")");
    dst[i] = static_cast<int32_t>(v);
  }
}

}  // namespace

std::vector<std::string> mnist_file_names(const std::string& stem) {
  std::vector<std::string> names = {stem, stem + ".gz"};
  const size_t last = stem.rfind('-');
  if (last == std::string::npos) return names;
  // "train-images.idx3-ubyte" is how many downloads name them; '.' for the last
  // '-' ("train-images-idx3.ubyte") is the other variant in circulation.
  const size_t second = last == 0 ? std::string::npos : stem.rfind('-', last - 1);
  for (size_t at : {second, last}) {
    if (at == std::string::npos) continue;
    std::string dotted = stem;
    dotted[at] = '.';
    names.push_back(dotted);
    names.push_back(dotted + ".gz");
  }
  return names;
}

MnistFiles locate_mnist_files(const std::string& dir, MnistSplit split, std::string* tried) {
  std::error_code ec;
  CUDANET_CHECK(std::filesystem::is_directory(dir, ec), "MNIST dataset folder '", dir, "' does not exist or is not a folder");
  const std::string prefix = split == MnistSplit::Train ? "train" : "t10k";
  std::string names;
  MnistFiles f;
  f.images = find_one(dir, prefix + "-images-idx3-ubyte", names);
  f.labels = find_one(dir, prefix + "-labels-idx1-ubyte", names);
  if (tried) *tried = names;
  return f;
}

MnistFiles find_mnist_files(const std::string& dir, MnistSplit split) {
  std::string tried;
  const MnistFiles f = locate_mnist_files(dir, split, &tried);
  CUDANET_CHECK(!f.images.empty() && !f.labels.empty(), "MNIST dataset folder '", dir, "': no ", split_name(split),
                f.images.empty() && f.labels.empty() ? " images or labels" : (f.images.empty() ? " images" : " labels"),
                "; looked for ", tried);
  return f;
}

Dataset load_mnist(const std::string& dir, const MnistOptions& options) {
  return load_mnist_files(find_mnist_files(dir, options.split), options);
}

Dataset load_mnist_files(const MnistFiles& files, const MnistOptions& o) {
  CUDANET_CHECK(o.num_classes > 0, "load_mnist: num_classes must be positive, got ", o.num_classes);
  CUDANET_CHECK(o.limit >= 0, "load_mnist: negative limit ", o.limit);
  const IdxArray images = read_idx(files.images);
  const IdxArray labels = read_idx(files.labels);
  const bool pixel_type = images.type == IdxType::u8 || images.type == IdxType::f32 || images.type == IdxType::f64;
  CUDANET_CHECK(pixel_type && (images.dims.size() == 3 || images.dims.size() == 4), "images file '", files.images,
                "' holds ", images.describe(), "; expected u8 (or f32, f64) images (N, H, W) or (N, C, H, W)");
  const bool label_type = labels.type != IdxType::f32 && labels.type != IdxType::f64;
  CUDANET_CHECK(label_type && labels.dims.size() == 1, "labels file '", files.labels, "' holds ", labels.describe(),
                "; expected integer labels (N,)");
  const int64_t n_file = images.dims[0];
  CUDANET_CHECK(labels.dims[0] == n_file, "images file '", files.images, "' has ", n_file, " images but labels file '",
                files.labels, "' has ", labels.dims[0], " labels");

  const int64_t n = o.limit > 0 && o.limit < n_file ? o.limit : n_file;
  const bool has_channels = images.dims.size() == 4;
  const int64_t c = has_channels ? images.dims[1] : 1;
  const int64_t h = images.dims[has_channels ? 2 : 1], w = images.dims[has_channels ? 3 : 2];
  Dataset d;
  d.num_classes = o.num_classes;
  d.images = Tensor::empty({n, c, h, w}, DType::f32);
  d.labels = Tensor::empty({n}, DType::i32);
  const int64_t n_pixels = d.images.numel();
  float* px = d.images.data<float>();
  switch (images.type) {
    case IdxType::u8: copy_pixels(px, images.data<uint8_t>(), n_pixels, 1.0f / 255.0f); break;
    case IdxType::f32: copy_pixels(px, images.data<float>(), n_pixels, 1.0f); break;
    default: copy_pixels(px, images.data<double>(), n_pixels, 1.0f); break;
  }
  // Every label in the file is checked, not only the kept ones: a bad one means a corrupt file.
  std::vector<int32_t> all(static_cast<size_t>(n_file));
  switch (labels.type) {
    case IdxType::u8: copy_labels(all.data(), labels.data<uint8_t>(), n_file, o.num_classes, files.labels); break;
    case IdxType::i8: copy_labels(all.data(), labels.data<int8_t>(), n_file, o.num_classes, files.labels); break;
    case IdxType::i16: copy_labels(all.data(), labels.data<int16_t>(), n_file, o.num_classes, files.labels); break;
    default: copy_labels(all.data(), labels.data<int32_t>(), n_file, o.num_classes, files.labels); break;
  }
  std::copy(all.begin(), all.begin() + n, d.labels.data<int32_t>());

  if (o.standardize) {
    double mean = o.mean, stddev = o.stddev;
    if (std::isnan(mean) || std::isnan(stddev)) {
      double s = 0, s2 = 0;
#pragma omp parallel for reduction(+ : s, s2) if (n_pixels > kParallelGrain)
      for (int64_t i = 0; i < n_pixels; ++i) s += px[i], s2 += static_cast<double>(px[i]) * px[i];
      const double m = n_pixels ? s / static_cast<double>(n_pixels) : 0.0;
      if (std::isnan(mean)) mean = m;
      if (std::isnan(stddev)) stddev = std::sqrt(std::max(0.0, (n_pixels ? s2 / static_cast<double>(n_pixels) : 0.0) - m * m));
    }
    CUDANET_CHECK(stddev > 0, "load_mnist: cannot standardise with standard deviation ", stddev);
    const auto fm = static_cast<float>(mean), inv = static_cast<float>(1.0 / stddev);
#pragma omp parallel for if (n_pixels > kParallelGrain)
    for (int64_t i = 0; i < n_pixels; ++i) px[i] = (px[i] - fm) * inv;
    d.pixel_mean = fm;
    d.pixel_std = static_cast<float>(stddev);
  }
  return d;
}

}  // namespace cudanet
