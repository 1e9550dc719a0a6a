#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <zlib.h>

#include "io/file_io.h"
#include "io/idx.h"
#include "io/mnist.h"
#include "io_test_util.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

// Elements spanning the type's range, negative and extreme values included.
template <class T>
IdxArray sample_array(std::vector<int64_t> dims) {
  IdxArray a = IdxArray::zeros(idx_type_of<T>::value, std::move(dims));
  T* p = a.data<T>();
  const int64_t n = a.numel();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>((i * 37) % 101 - 50);
  if (n > 0) p[0] = std::numeric_limits<T>::max();
  if (n > 1) p[n - 1] = std::numeric_limits<T>::lowest();
  return a;
}

void require_equal(const IdxArray& a, const IdxArray& b) {
  REQUIRE(a.type == b.type);
  REQUIRE(a.dims == b.dims);
  REQUIRE(a.bytes == b.bytes);
}

std::vector<uint8_t> gzip_bytes(const std::vector<uint8_t>& raw) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::vector<uint8_t> out(deflateBound(&zs, raw.size()) + 64);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Reads `bytes` from a file named `file` in a fresh folder; returns the error text.
std::string idx_error(const std::vector<uint8_t>& bytes, const std::string& file = "bad-idx3-ubyte") {
  const std::string path = temp_dir("idx-defect") + "/" + file;
  write_raw(path, bytes);
  try {
    read_idx(path);
  } catch (const Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find(path) != std::string::npos);  // every error names the file
    return msg;
  }
  FAIL("no error reading " << path);
  return "";
}

}  // namespace

TEST_CASE("IDX encodes big-endian headers and elements", "[idx]") {
  // i16 (2,) = {1, -2}: magic 00 00, type 0x0b, 1 dimension; dim 2 as a big-endian
  // uint32; then 0x0001 and 0xfffe (two's complement of 2), high byte first.
  IdxArray a = IdxArray::zeros(IdxType::i16, {2});
  a.data<int16_t>()[0] = 1;
  a.data<int16_t>()[1] = -2;
  const std::vector<uint8_t> expected = {0, 0, 0x0b, 1, 0, 0, 0, 2, 0x00, 0x01, 0xff, 0xfe};
  REQUIRE(encode_idx(a, false) == expected);
  // f32 1.0 is 0x3f800000; u8 dims (1, 2) with 7, 255.
  IdxArray f = IdxArray::zeros(IdxType::f32, {1});
  f.data<float>()[0] = 1.0f;
  REQUIRE(encode_idx(f, false) == std::vector<uint8_t>{0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0x80, 0, 0});
  IdxArray u = read_idx_bytes(std::vector<uint8_t>{0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 7, 255}.data(), 14, "mem");
  REQUIRE(u.dims == std::vector<int64_t>{1, 2});
  REQUIRE(u.data<uint8_t>()[0] == 7);
  REQUIRE(u.data<uint8_t>()[1] == 255);
}

TEST_CASE("IDX round-trips every element type, plain and gzip", "[idx]") {
  const std::string dir = temp_dir("idx-roundtrip");
  const std::vector<IdxArray> arrays = {sample_array<uint8_t>({3, 2, 5}), sample_array<int8_t>({7}),
                                        sample_array<int16_t>({2, 3}),   sample_array<int32_t>({4, 1, 1, 3}),
                                        sample_array<float>({5, 2}),     sample_array<double>({2, 2, 2, 2, 2, 2})};
  for (const IdxArray& a : arrays)
    for (bool gz : {false, true}) {
      INFO(a.describe() << (gz ? " gzip" : " plain"));
      const std::string path = dir + "/a-" + idx_type_name(a.type) + (gz ? ".gz" : "");
      write_idx(path, a, gz);
      const IdxArray b = read_idx(path);
      require_equal(a, b);
      std::vector<uint8_t> head(2);
      std::FILE* f = std::fopen(path.c_str(), "rb");
      REQUIRE(std::fread(head.data(), 1, 2, f) == 2);
      std::fclose(f);
      REQUIRE((head[0] == 0x1f && head[1] == 0x8b) == gz);
    }
  // Zero dimensions (one element), a zero-length dimension, the widest NaN payload.
  IdxArray scalar = IdxArray::zeros(IdxType::f64, {});
  scalar.data<double>()[0] = std::nan("");
  require_equal(scalar, read_idx_bytes(encode_idx(scalar, true).data(), encode_idx(scalar, true).size(), "mem"));
  IdxArray empty = IdxArray::zeros(IdxType::i32, {0, 28});
  require_equal(empty, read_idx_bytes(encode_idx(empty, false).data(), encode_idx(empty, false).size(), "mem"));
}

TEST_CASE("IDX gzip is recognised by content, not by name", "[idx]") {
  const std::string dir = temp_dir("idx-content");
  const IdxArray a = sample_array<int32_t>({3, 4});
  write_raw(dir + "/compressed-without-suffix", encode_idx(a, true));
  write_raw(dir + "/plain-named.gz", encode_idx(a, false));
  require_equal(a, read_idx(dir + "/compressed-without-suffix"));
  require_equal(a, read_idx(dir + "/plain-named.gz"));
  // Concatenated gzip members decompress as one stream, as gunzip does.
  const std::vector<uint8_t> raw = encode_idx(a, false);
  std::vector<uint8_t> two = gzip_bytes({raw.begin(), raw.begin() + 10});
  const std::vector<uint8_t> rest = gzip_bytes({raw.begin() + 10, raw.end()});
  two.insert(two.end(), rest.begin(), rest.end());
  require_equal(a, read_idx_bytes(two.data(), two.size(), "mem"));
}

TEST_CASE("IDX defects give errors naming the file and the defect", "[idx]") {
  // u8 (4,) header: 00 00 08 01 00 00 00 04, then 4 elements.
  const std::vector<uint8_t> ok = {0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4};
  CHECK_THAT(idx_error({}), Catch::Contains("empty file"));
  CHECK_THAT(idx_error({0, 0, 8}), Catch::Contains("truncated header"));
  CHECK_THAT(idx_error({0, 0, 8, 2, 0, 0, 0, 4}), Catch::Contains("truncated header") && Catch::Contains("2 dimensions"));
  CHECK_THAT(idx_error({1, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4}), Catch::Contains("wrong magic") && Catch::Contains("0x01"));
  CHECK_THAT(idx_error({0x50, 0x4b, 3, 4}), Catch::Contains("wrong magic"));  // a zip file
  CHECK_THAT(idx_error({0, 0, 0x0a, 1, 0, 0, 0, 4, 1, 2, 3, 4}), Catch::Contains("unknown type code 0x0a"));
  // Three dimensions of 2^32 - 1: the product is about 2^96.
  CHECK_THAT(idx_error({0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255}),
             Catch::Contains("overflow"));
  // ... and still an overflow when a later dimension is zero.
  CHECK_THAT(idx_error({0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0}), Catch::Contains("overflow"));
  // f64 (2^31, 2^31): 2^62 elements fit, their 2^65 bytes do not.
  CHECK_THAT(idx_error({0, 0, 0x0e, 2, 0x80, 0, 0, 0, 0x80, 0, 0, 0}), Catch::Contains("overflow") && Catch::Contains("bytes"));
  std::vector<uint8_t> shorter(ok.begin(), ok.end() - 1), longer = ok;
  longer.push_back(9);
  CHECK_THAT(idx_error(shorter), Catch::Contains("shorter than its header says") && Catch::Contains("u8 (4,)") &&
                                     Catch::Contains("only 3"));
  CHECK_THAT(idx_error(longer), Catch::Contains("longer than its header says") && Catch::Contains("1 extra"));
  CHECK_THAT(idx_error(gzip_bytes(shorter), "x.gz"),
             Catch::Contains("shorter than its header says") && Catch::Contains("after decompression"));
  CHECK_THAT(idx_error(gzip_bytes(longer), "x.gz"), Catch::Contains("longer than its header says"));
  CHECK_THAT(idx_error(gzip_bytes({}), "x.gz"), Catch::Contains("decompresses to nothing"));

  std::vector<uint8_t> gz = gzip_bytes(ok);
  std::vector<uint8_t> cut(gz.begin(), gz.end() - 6), flipped = gz, garbage = gz;
  CHECK_THAT(idx_error(cut, "cut.gz"), Catch::Contains("corrupt gzip") && Catch::Contains("truncated"));
  flipped[gz.size() - 6] ^= 0xff;  // inside the CRC-32 trailer
  CHECK_THAT(idx_error(flipped, "crc.gz"), Catch::Contains("corrupt gzip"));
  flipped = gz;
  flipped[12] ^= 0x55;  // inside the deflate stream: nonsense data, caught by the CRC
  CHECK_THAT(idx_error(flipped, "flip.gz"), Catch::Contains("corrupt gzip"));
  garbage.push_back(0);
  CHECK_THAT(idx_error(garbage, "tail.gz"), Catch::Contains("trailing garbage"));
  CHECK_THAT(idx_error({0x1f, 0x8b}, "magic-only.gz"), Catch::Contains("corrupt gzip"));

  const std::string missing = temp_dir("idx-missing") + "/nothing-here";
  CHECK_THROWS_WITH(read_idx(missing), Catch::Contains(missing) && Catch::Contains("No such file"));
}

TEST_CASE("IDX gzip header claiming more than it holds allocates only what it decompresses", "[idx]") {
  // f64 (2^27, 2^27, 2^3): 2^60 bytes claimed, 4 bytes present. Reading must fail
  // on the length, not attempt the allocation.
  const std::vector<uint8_t> raw = {0, 0, 0x0e, 3, 8, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 8, 1, 2, 3, 4};
  const std::vector<uint8_t> gz = gzip_bytes(raw);
  CHECK_THROWS_WITH(read_idx_bytes(gz.data(), gz.size(), "bomb.gz"),
                    Catch::Contains("bomb.gz") && Catch::Contains("shorter than its header says"));
  CHECK_THROWS_WITH(read_idx_bytes(raw.data(), raw.size(), "bomb"), Catch::Contains("shorter than its header says"));
}

TEST_CASE("idx_to_tensor keeps or widens the IDX type", "[idx]") {
  IdxArray a = IdxArray::zeros(IdxType::i16, {2, 2});
  int16_t* p = a.data<int16_t>();
  p[0] = -32768, p[1] = -1, p[2] = 0, p[3] = 32767;
  Tensor t = idx_to_tensor(a);
  REQUIRE(t.dtype() == DType::i32);
  REQUIRE(t.shape() == Shape{2, 2});
  REQUIRE(t.to_vector<int32_t>() == std::vector<int32_t>{-32768, -1, 0, 32767});
  REQUIRE(idx_to_tensor(sample_array<uint8_t>({3})).dtype() == DType::u8);
  REQUIRE(idx_to_tensor(sample_array<double>({3})).dtype() == DType::f64);
  CHECK_THROWS_WITH(idx_to_tensor(sample_array<float>({1, 1, 1, 1, 1, 1})), Catch::Contains("more than 5"));
}

// ---------------------------------------------------------------- MNIST folders

namespace {
// A tiny MNIST-style split: n images of h x w whose pixels are (i * 10 + k) % 256.
void write_split(const std::string& dir, const std::string& prefix, int64_t n, int64_t h, int64_t w,
                 const std::vector<uint8_t>& labels, bool gz, bool dotted = false) {
  IdxArray im = IdxArray::zeros(IdxType::u8, {n, h, w});
  for (int64_t i = 0; i < im.numel(); ++i) im.data<uint8_t>()[i] = static_cast<uint8_t>((i * 10) % 256);
  IdxArray lb = IdxArray::zeros(IdxType::u8, {static_cast<int64_t>(labels.size())});
  std::copy(labels.begin(), labels.end(), lb.data<uint8_t>());
  const std::string sep = dotted ? "." : "-";
  write_idx(dir + "/" + prefix + "-images" + sep + "idx3-ubyte" + (gz ? ".gz" : ""), im, gz);
  write_idx(dir + "/" + prefix + "-labels" + sep + "idx1-ubyte" + (gz ? ".gz" : ""), lb, gz);
}
}  // namespace

TEST_CASE("MNIST files are found under every naming variant", "[idx][mnist]") {
  REQUIRE(mnist_file_names("t10k-labels-idx1-ubyte") ==
          std::vector<std::string>{"t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz", "t10k-labels.idx1-ubyte",
                                   "t10k-labels.idx1-ubyte.gz", "t10k-labels-idx1.ubyte", "t10k-labels-idx1.ubyte.gz"});
  const std::string dir = temp_dir("mnist-names");
  write_split(dir, "train", 3, 2, 2, {0, 1, 2}, true);
  write_split(dir, "t10k", 2, 2, 2, {3, 4}, false, true);
  const MnistFiles tr = find_mnist_files(dir, MnistSplit::Train);
  CHECK(tr.images == dir + "/train-images-idx3-ubyte.gz");
  CHECK(tr.labels == dir + "/train-labels-idx1-ubyte.gz");
  const MnistFiles te = find_mnist_files(dir, MnistSplit::Test);
  CHECK(te.images == dir + "/t10k-images.idx3-ubyte");
  CHECK(te.labels == dir + "/t10k-labels.idx1-ubyte");

  const std::string last = temp_dir("mnist-last-dot");
  write_idx(last + "/train-images-idx3.ubyte", IdxArray::zeros(IdxType::u8, {1, 1, 1}), false);
  write_idx(last + "/train-labels-idx1.ubyte.gz", IdxArray::zeros(IdxType::u8, {1}), true);
  CHECK(find_mnist_files(last, MnistSplit::Train).labels == last + "/train-labels-idx1.ubyte.gz");
  CHECK(load_mnist(last).size() == 1);

  const std::string empty = temp_dir("mnist-empty");
  CHECK_THROWS_WITH(find_mnist_files(empty, MnistSplit::Test),
                    Catch::Contains(empty) && Catch::Contains("no test images or labels") &&
                        Catch::Contains("t10k-images-idx3-ubyte, t10k-images-idx3-ubyte.gz, t10k-images.idx3-ubyte, "
                                        "t10k-images.idx3-ubyte.gz, t10k-images-idx3.ubyte, t10k-images-idx3.ubyte.gz, "
                                        "t10k-labels-idx1-ubyte") &&
                        Catch::Contains("t10k-labels-idx1.ubyte.gz"));
  std::filesystem::remove(dir + "/t10k-labels.idx1-ubyte");
  CHECK_THROWS_WITH(find_mnist_files(dir, MnistSplit::Test),
                    Catch::Contains("no test labels") && !Catch::Contains("t10k-images-idx3-ubyte,"));
  CHECK_THROWS_WITH(find_mnist_files(dir + "/nope", MnistSplit::Train), Catch::Contains("does not exist"));
}

TEST_CASE("load_mnist scales pixels, keeps labels, applies the limit", "[idx][mnist]") {
  const std::string dir = temp_dir("mnist-load");
  write_split(dir, "train", 4, 2, 3, {9, 0, 3, 7}, true);
  Dataset d = load_mnist(dir);
  REQUIRE(d.size() == 4);
  REQUIRE(d.images.shape() == Shape{4, 1, 2, 3});
  REQUIRE(d.images.dtype() == DType::f32);
  REQUIRE(d.labels.to_vector<int32_t>() == std::vector<int32_t>{9, 0, 3, 7});
  // Pixel k holds (k * 10) % 256: pixel 0 is 0, pixel 7 is 70 -> 70/255, pixel 23 is 230 -> 230/255.
  const std::vector<float> px = d.images.to_vector<float>();
  CHECK(px[0] == 0.0f);
  CHECK(px[7] == Approx(70.0 / 255.0));
  CHECK(px[23] == Approx(230.0 / 255.0));

  MnistOptions o;
  o.limit = 3;
  Dataset first = load_mnist(dir, o);
  REQUIRE(first.size() == 3);
  REQUIRE(first.labels.to_vector<int32_t>() == std::vector<int32_t>{9, 0, 3});
  REQUIRE(first.images.to_vector<float>() == std::vector<float>(px.begin(), px.begin() + 18));

  o.limit = 0;
  o.standardize = true;
  Dataset s = load_mnist(dir, o);
  double mean = 0, var = 0;
  for (float v : px) mean += v;
  mean /= px.size();
  for (float v : px) var += (v - mean) * (v - mean);
  var /= px.size();
  CHECK(s.pixel_mean == Approx(mean));
  CHECK(s.pixel_std == Approx(std::sqrt(var)));
  CHECK(s.images.to_vector<float>()[7] == Approx((px[7] - mean) / std::sqrt(var)).margin(1e-5));
  // The test split reuses the training statistics.
  o.mean = 0.5f;
  o.stddev = 0.25f;
  CHECK(load_mnist(dir, o).images.to_vector<float>()[0] == Approx(-2.0));
}

TEST_CASE("load_mnist rejects mismatched counts and labels outside the classes", "[idx][mnist]") {
  const std::string dir = temp_dir("mnist-bad");
  write_split(dir, "train", 3, 2, 2, {0, 1}, false);
  CHECK_THROWS_WITH(load_mnist(dir), Catch::Contains("has 3 images") && Catch::Contains("has 2 labels") &&
                                         Catch::Contains("train-images-idx3-ubyte") &&
                                         Catch::Contains("train-labels-idx1-ubyte"));
  write_split(dir, "train", 3, 2, 2, {0, 12, 1}, false);
  CHECK_THROWS_WITH(load_mnist(dir), Catch::Contains(dir + "/train-labels-idx1-ubyte") &&
                                         Catch::Contains("label 12 at index 1") && Catch::Contains("[0, 10)"));
  MnistOptions o;
  o.num_classes = 13;
  CHECK(load_mnist(dir, o).size() == 3);
  o.num_classes = 12;
  CHECK_THROWS_WITH(load_mnist(dir, o), Catch::Contains("[0, 12)"));
  write_idx(dir + "/train-labels-idx1-ubyte", IdxArray::zeros(IdxType::f32, {3}), false);
  CHECK_THROWS_WITH(load_mnist(dir), Catch::Contains("expected integer labels"));
}

// ------------------------------------------------------------------- real data

TEST_CASE("Fashion-MNIST loads with its published counts", "[idx][mnist][data]") {
  const std::string dir =
      require_data_dir("CUDANET_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist", "Fashion-MNIST");
  const Dataset train = load_mnist(dir);
  REQUIRE(train.images.shape() == Shape{60000, 1, 28, 28});
  const std::vector<int32_t> y = train.labels.to_vector<int32_t>();
  // Zalando's README: 6,000 training images per class; the first is class 9, "Ankle boot".
  CHECK(y[0] == 9);
  std::vector<int> counts(10);
  for (int32_t v : y) ++counts[v];
  CHECK(counts == std::vector<int>(10, 6000));
  const std::vector<float> px = train.images.to_vector<float>();
  CHECK(*std::min_element(px.begin(), px.end()) == 0.0f);
  CHECK(*std::max_element(px.begin(), px.end()) == 1.0f);

  MnistOptions o;
  o.split = MnistSplit::Test;
  const Dataset test = load_mnist(dir, o);
  REQUIRE(test.size() == 10000);
  std::vector<int> test_counts(10);
  for (int32_t v : test.labels.to_vector<int32_t>()) ++test_counts[v];
  CHECK(test_counts == std::vector<int>(10, 1000));
}

TEST_CASE("the 10,000 real MNIST digits load", "[idx][mnist][data]") {
  const std::string dir = require_data_dir("CUDANET_MNIST_DIR", std::string(CUDANET_SOURCE_DIR) + "/../shared/data/mnist-digits-10k",
                                           "MNIST digits");
  const Dataset d = load_mnist(dir);
  REQUIRE(d.images.shape() == Shape{10000, 1, 28, 28});
  // A subset of MNIST's training set: every class near its 10% share, and the
  // pixel statistics near MNIST's published mean 0.1307 and deviation 0.3081.
  std::vector<int> counts(10);
  for (int32_t v : d.labels.to_vector<int32_t>()) ++counts[v];
  for (int c : counts) CHECK((c > 800 && c < 1200));
  double sum = 0, sum2 = 0;
  for (float v : d.images.to_vector<float>()) sum += v, sum2 += static_cast<double>(v) * v;
  const double n = 10000.0 * 784, mean = sum / n;
  CHECK(mean == Approx(0.1307).margin(0.005));
  CHECK(std::sqrt(sum2 / n - mean * mean) == Approx(0.3081).margin(0.005));
  MnistOptions o;
  o.standardize = true;
  CHECK(load_mnist(dir, o).pixel_mean == Approx(mean));
  const TrainValSplit s = split_last(d, 0.1);
  CHECK(s.train.size() == 9000);
  CHECK(s.val.size() == 1000);
}
