#include "io/npy.h"

#include <bit>

#include "io/file_io.h"

namespace cudanet {

namespace {

// The elements are written as they lie in memory, and 'descr' says little-endian.
static_assert(std::endian::native == std::endian::little, "write_npy writes host byte order as little-endian");

constexpr char kMagic[] = "\x93NUMPY";  // 6 bytes, then the version 1.0
constexpr size_t kPrefix = 6 + 2 + 2;   // magic, version, header length
constexpr size_t kAlign = 64;

const char* descr(DType t) {
  switch (t) {
    case DType::f32: return "<f4";
    case DType::f64: return "<f8";
    case DType::i32: return "<i4";
    case DType::u8: return "|u1";
  }
  throw Error("write_npy: unknown dtype");
}

// Python's tuple syntax: "()", "(3,)", "(3, 10)".
std::string shape_tuple(const Shape& s) {
  std::string out = "(";
  for (int i = 0; i < s.ndim(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.ndim() == 1 ? ",)" : ")");
}

}  // namespace

std::vector<uint8_t> npy_header(DType dtype, const Shape& shape) {
  std::string dict = std::string("{'descr': '") + descr(dtype) + "', 'fortran_order': False, 'shape': " +
                     shape_tuple(shape) + ", }";
  // Spaces, then '\n', up to the next multiple of kAlign (version 1.0's length is a
  // uint16, which kMaxDims dimensions never approach).
  const size_t total = (kPrefix + dict.size() + 1 + kAlign - 1) / kAlign * kAlign;
  dict.append(total - kPrefix - dict.size() - 1, ' ');
  dict += '\n';
  const uint16_t len = static_cast<uint16_t>(dict.size());
  const std::string out = std::string(kMagic, 6) + '\x01' + '\x00' + static_cast<char>(len & 0xff) +
                          static_cast<char>(len >> 8) + dict;
  return {out.begin(), out.end()};
}

void write_npy(const std::string& path, const Tensor& t) {
  const std::vector<uint8_t> header = npy_header(t.dtype(), t.shape());
  const Tensor host = t.detach().to(Device::cpu());
  AtomicFile f(path);
  f.write(header.data(), header.size());
  if (host.nbytes() > 0) f.write(host.data_ptr(), host.nbytes());
  f.commit();
}

}  // namespace cudanet
