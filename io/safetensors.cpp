#include "io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "io/file_io.h"

namespace cudanet {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian and is copied as is: a big-endian host would need byte swaps");

namespace {

using Json = nlohmann::json;         // reading: key order does not matter
using OrderedJson = nlohmann::ordered_json;  // writing: the header lists tensors in file order
constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit

template <class... Args>
[[noreturn]] void fail(const std::string& name, const Args&... parts) {
  CUDANET_FAIL("safetensors file '", name, "': ", parts...);
}

// The header with its byte ranges, padded with spaces to a multiple of 8.
std::string make_header(const NamedTensors& tensors, const TensorMetadata& metadata) {
  OrderedJson h = OrderedJson::object();
  if (!metadata.empty()) h["__metadata__"] = metadata;
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    CUDANET_CHECK(name != "__metadata__", "save_safetensors: a tensor may not be named __metadata__");
    CUDANET_CHECK(seen.insert(name).second, "save_safetensors: tensor name '", name, "' appears twice");
    CUDANET_CHECK(t.defined(), "save_safetensors: tensor '", name, "' is undefined");
    const uint64_t end = offset + t.nbytes();
    h[name] = {{"dtype", dtype_safetensors_name(t.dtype())}, {"shape", t.shape().vec()}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string s;
  try {
    s = h.dump();
  } catch (const nlohmann::json::exception& e) {
    CUDANET_FAIL("save_safetensors: a tensor name or metadata string is not valid UTF-8 (", e.what(), ")");
  }
  s.append((8 - s.size() % 8) % 8, ' ');
  return s;
}

void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

DType parse_dtype(const std::string& file, const std::string& tensor, const Json& v) {
  if (!v.is_string()) fail(file, "tensor '", tensor, "': \"dtype\" must be a string, got ", v.dump());
  const std::string s = v.get<std::string>();
  for (DType d : {DType::f32, DType::f64, DType::i32, DType::u8})
    if (s == dtype_safetensors_name(d)) return d;
  fail(file, "tensor '", tensor, "': dtype '", s, "' is not supported (cudanet reads F32, F64, I32 and U8)");
}

Entry parse_entry(const std::string& file, const std::string& tensor, const Json& v, uint64_t data_len) {
  if (!v.is_object()) fail(file, "tensor '", tensor, "': its header entry must be an object, got ", v.dump());
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!v.contains(key)) fail(file, "tensor '", tensor, "': header entry has no \"", key, "\"");
  Entry e{tensor, parse_dtype(file, tensor, v["dtype"]), {}, 0, 0};

  const Json& shape = v["shape"];
  if (!shape.is_array()) fail(file, "tensor '", tensor, "': \"shape\" must be an array, got ", shape.dump());
  if (shape.size() > static_cast<size_t>(kMaxDims))
    fail(file, "tensor '", tensor, "': ", shape.size(), " dimensions; cudanet tensors have at most ", kMaxDims);
  // Checked as Shape::numel() multiplies: left to right, even when a later dimension is 0.
  uint64_t numel = 1, nbytes = 0;
  for (const Json& d : shape) {
    if (!d.is_number_unsigned()) fail(file, "tensor '", tensor, "': shape ", shape.dump(), " must hold non-negative integers");
    const uint64_t n = d.get<uint64_t>();
    if (__builtin_mul_overflow(numel, n, &numel) || numel > static_cast<uint64_t>(INT64_MAX))
      fail(file, "tensor '", tensor, "': the shape ", shape.dump(), " overflows");
    e.shape.push_back(static_cast<int64_t>(n));
  }
  if (__builtin_mul_overflow(numel, dtype_size(e.dtype), &nbytes) || nbytes > static_cast<uint64_t>(INT64_MAX))
    fail(file, "tensor '", tensor, "': the shape ", shape.dump(), " overflows");

  const Json& off = v["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
    fail(file, "tensor '", tensor, "': \"data_offsets\" must be [begin, end] with non-negative integers, got ", off.dump());
  e.begin = off[0].get<uint64_t>();
  e.end = off[1].get<uint64_t>();
  if (e.begin > e.end || e.end > data_len)
    fail(file, "tensor '", tensor, "': data_offsets [", e.begin, ", ", e.end, "] do not lie within the data section of ",
         data_len, " bytes");
  if (e.end - e.begin != nbytes)
    fail(file, "tensor '", tensor, "': data_offsets [", e.begin, ", ", e.end, "] span ", e.end - e.begin,
         " bytes, but ", dtype_safetensors_name(e.dtype), " ", shape.dump(), " needs ", nbytes);
  return e;
}

// The ranges must tile [0, data_len) exactly, as the reference reader demands.
void check_layout(const std::string& file, std::vector<Entry>& entries, uint64_t data_len) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  uint64_t covered = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < covered)
      fail(file, "tensors '", prev->name, "' [", prev->begin, ", ", prev->end, ") and '", e.name, "' [", e.begin, ", ",
           e.end, ") overlap");
    if (e.begin > covered)
      fail(file, "bytes [", covered, ", ", e.begin, ") of the data section belong to no tensor");
    covered = e.end;
    prev = &e;
  }
  if (covered < data_len)
    fail(file, data_len - covered, " trailing bytes after the last tensor (the tensors cover ", covered,
         " bytes of a data section of ", data_len, ")");
}

}  // namespace

std::vector<uint8_t> encode_safetensors(const NamedTensors& tensors, const TensorMetadata& metadata) {
  const std::string header = make_header(tensors, metadata);
  std::vector<uint8_t> out(8 + header.size());
  put_u64(out.data(), header.size());
  std::memcpy(out.data() + 8, header.data(), header.size());
  for (const auto& [name, t] : tensors) {
    const size_t at = out.size();
    out.resize(at + t.nbytes());
    copy_bytes(out.data() + at, Device::cpu(), t.data_ptr(), t.device(), t.nbytes());
  }
  return out;
}

void save_safetensors(const std::string& path, const NamedTensors& tensors, const TensorMetadata& metadata) {
  const std::string header = make_header(tensors, metadata);
  AtomicFile f(path);
  uint8_t len[8];
  put_u64(len, header.size());
  f.write(len, 8);
  f.write(header.data(), header.size());
  for (const auto& [name, t] : tensors) {
    if (t.device().is_cpu()) {
      f.write(t.data_ptr(), t.nbytes());
    } else {
      const Tensor h = t.detach().to(Device::cpu());  // one tensor at a time on the host
      f.write(h.data_ptr(), h.nbytes());
    }
  }
  f.commit();
}

SafetensorsFile load_safetensors_bytes(const void* data, size_t size, const std::string& name) {
  const auto* p = static_cast<const uint8_t*>(data);
  if (size < 8) fail(name, "the file is ", size, " bytes, shorter than the 8-byte header length that starts a safetensors file");
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; --i) hlen = (hlen << 8) | p[i];
  if (hlen > size - 8)
    fail(name, "the header length ", hlen, " exceeds the ", size - 8, " bytes that follow it (truncated or not a safetensors file)");
  if (hlen > kMaxHeaderBytes) fail(name, "the header length ", hlen, " exceeds the limit of ", kMaxHeaderBytes, " bytes");

  Json header;
  try {
    header = Json::parse(p + 8, p + 8 + hlen);
  } catch (const nlohmann::json::exception& e) {
    fail(name, "the header is not valid JSON: ", e.what());
  }
  if (!header.is_object()) fail(name, "the header must be a JSON object, got ", header.type_name());

  SafetensorsFile out;
  const uint64_t data_len = size - 8 - hlen;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key != "__metadata__") {
      entries.push_back(parse_entry(name, key, value, data_len));
      continue;
    }
    if (!value.is_object()) fail(name, "\"__metadata__\" must be an object of strings, got ", value.dump());
    for (const auto& [k, v] : value.items()) {
      if (!v.is_string()) fail(name, "metadata '", k, "' must be a string, got ", v.dump());
      out.metadata[k] = v.get<std::string>();
    }
  }
  check_layout(name, entries, data_len);

  const uint8_t* base = p + 8 + hlen;
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(Shape(e.shape), e.dtype);
    if (e.end > e.begin) std::memcpy(t.data_ptr(), base + e.begin, e.end - e.begin);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

SafetensorsFile load_safetensors(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  return load_safetensors_bytes(bytes.data(), bytes.size(), path);
}

std::vector<std::string> compatibility_report(const NamedTensors& expected, const NamedTensors& loaded) {
  std::map<std::string, const Tensor*> got;
  for (const auto& [name, t] : loaded) got[name] = &t;
  std::set<std::string> wanted;
  std::vector<std::string> report;
  for (const auto& [name, t] : expected) {
    wanted.insert(name);
    const auto it = got.find(name);
    if (it == got.end()) {
      report.push_back(detail::cat("missing tensor '", name, "' ", t.describe()));
      continue;
    }
    const Tensor& l = *it->second;
    if (l.shape() != t.shape())
      report.push_back(detail::cat("tensor '", name, "': shape ", l.shape().str(), " where the model has ", t.shape().str()));
    if (l.dtype() != t.dtype())
      report.push_back(detail::cat("tensor '", name, "': dtype ", dtype_name(l.dtype()), " where the model has ",
                                   dtype_name(t.dtype())));
  }
  for (const auto& [name, t] : loaded)
    if (!wanted.count(name)) report.push_back(detail::cat("unexpected tensor '", name, "' ", t.describe()));
  return report;
}

void check_compatible(const NamedTensors& expected, const NamedTensors& loaded, const std::string& source) {
  const std::vector<std::string> report = compatibility_report(expected, loaded);
  if (report.empty()) return;
  std::string msg = detail::cat(source, " does not match the model (", report.size(),
                                report.size() == 1 ? " difference):" : " differences):");
  for (const std::string& line : report) msg += "\n  " + line;
  CUDANET_FAIL(msg);
}

}  // namespace cudanet
