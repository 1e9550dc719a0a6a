#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "io/file_io.h"
#include "io/safetensors.h"
#include "io_test_util.h"

using namespace cudanet;
using namespace cudanet::test;

namespace {

NamedTensors sample_tensors() {
  return {{"conv.weight", Tensor::from_vector<float>({0.5f, -1.25f, 3.0f, 1e-30f, -0.0f, 7.0f}, {2, 1, 3})},
          {"bias", Tensor::from_vector<double>({-1.0, 0.0, 1.5}, {3})},
          {"step", Tensor::from_vector<int32_t>({1, -2, 3, 2147483647}, {4})},
          {"mask", Tensor::from_vector<uint8_t>({0, 1, 254, 255}, {2, 2})},
          {"scalar", Tensor::scalar(3.25)},
          {"empty", Tensor::empty({0, 3})},
          {"five_d", Tensor::from_vector<float>({1, 2}, {1, 1, 2, 1, 1})}};
}

void require_same(const NamedTensors& a, const NamedTensors& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    REQUIRE(a[i].first == b[i].first);
    REQUIRE(a[i].second.shape() == b[i].second.shape());
    REQUIRE(a[i].second.dtype() == b[i].second.dtype());
    // An empty tensor has no storage: memcmp's pointers must not be null even for 0 bytes.
    if (a[i].second.nbytes() > 0)
      REQUIRE(std::memcmp(a[i].second.data_ptr(), b[i].second.data_ptr(), a[i].second.nbytes()) == 0);
  }
}

// A file from a literal header and a data section of `data_len` bytes.
std::vector<uint8_t> file_with(const std::string& header, size_t data_len, uint64_t declared = UINT64_MAX) {
  const uint64_t len = declared == UINT64_MAX ? header.size() : declared;
  std::vector<uint8_t> f(8);
  for (int i = 0; i < 8; ++i) f[i] = static_cast<uint8_t>(len >> (8 * i));
  f.insert(f.end(), header.begin(), header.end());
  f.resize(f.size() + data_len, 0);
  return f;
}

std::string load_error(const std::vector<uint8_t>& bytes) {
  const std::string path = temp_dir("st-defect") + "/bad.safetensors";
  write_raw(path, bytes);
  try {
    load_safetensors(path);
  } catch (const Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find(path) != std::string::npos);
    return msg;
  }
  FAIL("no error loading " << path);
  return "";
}

std::string entry(const std::string& name, const std::string& dtype, const std::string& shape, int b, int e) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
         std::to_string(b) + "," + std::to_string(e) + "]}";
}

}  // namespace

TEST_CASE("safetensors bytes follow the format", "[safetensors]") {
  // {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} is 54 bytes, padded
  // with two spaces to 56 (a multiple of 8); length 56 = 0x38 little-endian;
  // then 1.0f = 0x3f800000 little-endian.
  const std::vector<uint8_t> f = encode_safetensors({{"a", Tensor::from_vector<float>({1.0f}, {1})}});
  const std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  REQUIRE(header.size() == 54);
  std::vector<uint8_t> expected = {0x38, 0, 0, 0, 0, 0, 0, 0};
  expected.insert(expected.end(), header.begin(), header.end());
  expected.insert(expected.end(), {' ', ' ', 0x00, 0x00, 0x80, 0x3f});
  REQUIRE(f == expected);
  // Metadata comes first, as the reference writer puts it.
  const std::vector<uint8_t> m = encode_safetensors({}, {{"format", "pt"}});
  REQUIRE(std::string(m.begin() + 8, m.end()).rfind(R"({"__metadata__":{"format":"pt"}})", 0) == 0);
}

TEST_CASE("safetensors round-trips every dtype, shape and metadata", "[safetensors]") {
  const std::string path = temp_dir("st-roundtrip") + "/model.safetensors";
  const NamedTensors t = sample_tensors();
  const TensorMetadata meta = {{"epoch", "3"}, {"note", "ünïcode \"quoted\"\n"}};
  save_safetensors(path, t, meta);
  const SafetensorsFile f = load_safetensors(path);
  require_same(t, f.tensors);
  REQUIRE(f.metadata == meta);
  const std::vector<uint8_t> bytes = read_file(path);
  uint64_t hlen = 0;
  std::memcpy(&hlen, bytes.data(), 8);
  REQUIRE(hlen % 8 == 0);  // the data starts 8-byte aligned
  REQUIRE(bytes == encode_safetensors(t, meta));
  REQUIRE_FALSE(std::filesystem::exists(atomic_temp_path(path, ::getpid())));
  CHECK_THROWS_WITH(save_safetensors(path, {{"a", Tensor::zeros({1})}, {"a", Tensor::zeros({1})}}),
                    Catch::Contains("'a' appears twice"));
  CHECK_THROWS_WITH(save_safetensors(path, {{"__metadata__", Tensor::zeros({1})}}), Catch::Contains("__metadata__"));
  CHECK_THROWS_WITH(save_safetensors(temp_dir("st-nodir") + "/missing/x.safetensors", t),
                    Catch::Contains("missing/x.safetensors"));
  REQUIRE(load_safetensors(path).tensors.size() == t.size());  // a failed save left the file alone
}

TEST_CASE("safetensors defects give errors naming the file and the defect", "[safetensors]") {
  const std::string a = entry("a", "F32", "[2]", 0, 8);
  CHECK_THAT(load_error({1, 2, 3}), Catch::Contains("3 bytes") && Catch::Contains("shorter than the 8-byte"));
  CHECK_THAT(load_error(file_with("{" + a + "}", 8, 1000)), Catch::Contains("header length 1000 exceeds"));
  CHECK_THAT(load_error(file_with("{\"a\":", 0)), Catch::Contains("not valid JSON"));
  CHECK_THAT(load_error(file_with("[1,2]", 0)), Catch::Contains("must be a JSON object"));
  CHECK_THAT(load_error(file_with(R"({"a":{"dtype":"F32","shape":[2]}})", 8)),
             Catch::Contains("tensor 'a'") && Catch::Contains("no \"data_offsets\""));
  CHECK_THAT(load_error(file_with(R"({"a":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})", 8)),
             Catch::Contains("\"dtype\" must be a string"));
  CHECK_THAT(load_error(file_with("{" + entry("a", "BF16", "[2]", 0, 4) + "}", 4)),
             Catch::Contains("dtype 'BF16' is not supported"));
  CHECK_THAT(load_error(file_with("{" + entry("a", "F32", "[-2]", 0, 8) + "}", 8)),
             Catch::Contains("non-negative integers"));
  CHECK_THAT(load_error(file_with("{" + entry("a", "F32", "[2.5]", 0, 8) + "}", 8)),
             Catch::Contains("non-negative integers"));
  CHECK_THAT(load_error(file_with("{" + entry("a", "F32", "[1,1,1,1,1,1]", 0, 4) + "}", 4)),
             Catch::Contains("6 dimensions"));
  CHECK_THAT(load_error(file_with("{" + entry("a", "U8", "[4294967296,4294967296,0]", 0, 0) + "}", 0)),
             Catch::Contains("overflows"));
  CHECK_THAT(load_error(file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8)),
             Catch::Contains("must be [begin, end]"));
  CHECK_THAT(load_error(file_with("{" + entry("a", "F32", "[2]", 0, 16) + "}", 8)),
             Catch::Contains("do not lie within the data section of 8 bytes"));
  CHECK_THAT(load_error(file_with("{" + entry("a", "F32", "[2]", 8, 4) + "}", 8)), Catch::Contains("do not lie within"));
  CHECK_THAT(load_error(file_with("{" + entry("a", "F32", "[3]", 0, 8) + "}", 8)),
             Catch::Contains("span 8 bytes") && Catch::Contains("needs 12"));
  CHECK_THAT(load_error(file_with("{" + a + "," + entry("b", "F32", "[2]", 4, 12) + "}", 12)),
             Catch::Contains("'a' [0, 8) and 'b' [4, 12) overlap"));
  CHECK_THAT(load_error(file_with("{" + a + "," + entry("b", "F32", "[1]", 12, 16) + "}", 16)),
             Catch::Contains("bytes [8, 12) of the data section belong to no tensor"));
  CHECK_THAT(load_error(file_with("{" + a + "}", 11)), Catch::Contains("3 trailing bytes"));
  CHECK_THAT(load_error(file_with(R"({"__metadata__":{"k":1}})", 0)), Catch::Contains("metadata 'k' must be a string"));
  CHECK_THAT(load_error(file_with(R"({"__metadata__":[]})", 0)), Catch::Contains("must be an object of strings"));
  // A truncated real file: the header survives, the data does not.
  std::vector<uint8_t> good = encode_safetensors(sample_tensors());
  good.resize(good.size() - 5);
  CHECK_THAT(load_error(good), Catch::Contains("do not lie within the data section"));
  good.resize(20);
  CHECK_THAT(load_error(good), Catch::Contains("exceeds"));
  // Header padding with spaces is valid; an empty file of tensors too.
  const std::vector<uint8_t> padded = file_with("{" + a + "}     ", 8), none = file_with("{}", 0);
  REQUIRE(load_safetensors_bytes(padded.data(), padded.size(), "padded").tensors.size() == 1);
  REQUIRE(load_safetensors_bytes(none.data(), none.size(), "none").tensors.empty());
}

TEST_CASE("check_compatible reports every mismatch at once", "[safetensors]") {
  const NamedTensors expected = {{"a", Tensor::zeros({2, 3})},
                                 {"b", Tensor::zeros({3})},
                                 {"c", Tensor::zeros({1}, DType::i32)},
                                 {"same", Tensor::zeros({4})}};
  const NamedTensors loaded = {{"same", Tensor::zeros({4})},
                               {"a", Tensor::zeros({3, 2})},
                               {"b", Tensor::zeros({3}, DType::f64)},
                               {"d", Tensor::zeros({1}, DType::u8)}};
  const std::vector<std::string> report = compatibility_report(expected, loaded);
  REQUIRE(report == std::vector<std::string>{"tensor 'a': shape (3, 2) where the model has (2, 3)",
                                             "tensor 'b': dtype float64 where the model has float32",
                                             "missing tensor 'c' int32(1,) on cpu",
                                             "unexpected tensor 'd' uint8(1,) on cpu"});
  CHECK_THROWS_WITH(check_compatible(expected, loaded, "checkpoint 'x.safetensors'"),
                    Catch::Contains("checkpoint 'x.safetensors' does not match the model (4 differences)") &&
                        Catch::Contains("tensor 'a': shape") && Catch::Contains("tensor 'b': dtype") &&
                        Catch::Contains("missing tensor 'c'") && Catch::Contains("unexpected tensor 'd'"));
  CHECK(compatibility_report(expected, expected).empty());
  CHECK_NOTHROW(check_compatible(expected, expected, "x"));
}

TEST_CASE("a save killed midway leaves the previous checkpoint intact", "[safetensors]") {
  const std::string dir = temp_dir("st-atomic");
  const std::string path = dir + "/ckpt.safetensors";
  const NamedTensors before = {{"w", Tensor::full({1000}, 1.0)}};
  // 64 MiB: long enough to write (and fsync) that a kill lands inside the save.
  const NamedTensors big = {{"w", Tensor::full({16 << 20}, 2.0)}};
  const size_t big_bytes = encode_safetensors({{"w", Tensor::zeros({0})}}).size() + (64u << 20);
  save_safetensors(path, before);
  std::mt19937 rng(1234);
  int mid_write_kills = 0;
  for (int trial = 0; trial < 20 && mid_write_kills < 3; ++trial) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      try {
        save_safetensors(path, big);
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
    // Wait for the temporary file to appear (the save has begun), then kill at a random moment.
    const std::string temp = atomic_temp_path(path, pid);
    int status = 0;
    bool exited = false;
    while (!std::filesystem::exists(temp) && !(exited = ::waitpid(pid, &status, WNOHANG) == pid)) std::this_thread::yield();
    if (!exited) {
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
    const SafetensorsFile f = load_safetensors(path);  // always a complete, valid file
    REQUIRE(f.tensors.size() == 1);
    const double w0 = f.tensors[0].second.to_vector<float>()[0];
    std::error_code ec;
    if (std::filesystem::exists(temp, ec)) {  // killed inside the save
      INFO("trial " << trial << ": temporary file of " << std::filesystem::file_size(temp) << " bytes");
      CHECK(std::filesystem::file_size(temp) <= big_bytes);
      REQUIRE(f.tensors[0].second.numel() == 1000);
      REQUIRE(w0 == 1.0);
      std::filesystem::remove(temp);
      ++mid_write_kills;
    } else if (f.tensors[0].second.numel() != 1000) {  // the save finished first: start over
      REQUIRE(w0 == 2.0);
      save_safetensors(path, before);
    }
  }
  REQUIRE(mid_write_kills >= 1);
}

TEST_CASE("safetensors saves tensors straight from the device", "[safetensors][gpu]") {
  require_gpu();
  const std::string path = temp_dir("st-gpu") + "/gpu.safetensors";
  NamedTensors host = sample_tensors(), dev;
  for (const auto& [n, t] : host) dev.emplace_back(n, t.to(Device::cuda()));
  save_safetensors(path, dev, {{"device", "cuda"}});
  require_same(host, load_safetensors(path).tensors);
}

TEST_CASE("Python's safetensors reads our files and we read its files", "[safetensors][python]") {
  const char* env = std::getenv("CUDANET_PYTHON");
  const std::string python = env && *env ? env : "python3";
  if (std::system((python + " -c 'import safetensors.numpy, numpy' > /dev/null 2>&1").c_str()) != 0)
    skip_test("the Python packages safetensors and numpy are not installed for " + python +
              " (pip install safetensors numpy)");
  const std::string dir = temp_dir("st-python");
  const std::string ours = dir + "/ours.safetensors", theirs = dir + "/theirs.safetensors";
  save_safetensors(ours, sample_tensors(), {{"format", "pt"}, {"epoch", "3"}});
  const std::string script = std::string(CUDANET_SOURCE_DIR) + "/tests/python/safetensors_interop.py";
  const std::string cmd = python + " '" + script + "' '" + ours + "' '" + theirs + "'";
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
  // The values the script writes (see tests/python/safetensors_interop.py).
  const SafetensorsFile f = load_safetensors(theirs);
  REQUIRE(f.metadata == TensorMetadata{{"written_by", "python"}});
  std::map<std::string, Tensor> t(f.tensors.begin(), f.tensors.end());
  REQUIRE(t.size() == 4);
  REQUIRE(t["weight"].shape() == Shape{2, 3});
  require_close(t["weight"], {0, 0.25, 0.5, 0.75, 1.0, 1.25});
  REQUIRE(t["weight"].dtype() == DType::f32);
  REQUIRE(t["counts"].to_vector<int32_t>() == std::vector<int32_t>{7, -8, 2147483647});
  REQUIRE(t["pixels"].to_vector<uint8_t>() == std::vector<uint8_t>{0, 128, 255});
  REQUIRE(t["pixels"].shape() == Shape{1, 3});
  REQUIRE(t["mean"].dtype() == DType::f64);
  require_close(t["mean"], {0.1307}, 1e-15);
}
