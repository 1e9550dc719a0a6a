#include "io/idx.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstring>
#include <sstream>

#include "core/error.h"
#include "io/file_io.h"

namespace cudanet {

namespace {

constexpr size_t kMaxIdxBytes = size_t{1} << 62;  // any larger claim is a defect, not data
constexpr size_t kGrowStep = size_t{1} << 20;     // gzip output buffer grows by doubling from here
constexpr size_t kCheckStreamLimit = size_t{1} << 28;  // decompressed bytes examined after a format error
constexpr size_t kExtraCountLimit = size_t{1} << 20;   // surplus bytes counted for the "longer" error

std::string dims_str(const std::vector<int64_t>& dims) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < dims.size(); ++i) os << (i ? ", " : "") << dims[i];
  os << (dims.size() == 1 ? ",)" : ")");
  return os.str();
}

std::string hex(uint8_t b) {
  static const char* d = "0123456789abcdef";
  return std::string("0x") + d[b >> 4] + d[b & 15];
}

template <class... Args>
[[noreturn]] void fail(const std::string& name, const Args&... parts) {
  CUDANET_FAIL("IDX file '", name, "': ", parts...);
}

bool valid_type(uint8_t code) {
  switch (code) {
    case 0x08: case 0x09: case 0x0B: case 0x0C: case 0x0D: case 0x0E: return true;
    default: return false;
  }
}

// Elements are big-endian in the file and host-order in memory: one swap serves both ways.
void swap_to_host(uint8_t* p, size_t n, size_t elem) {
  if constexpr (std::endian::native == std::endian::big) return;
  if (elem == 1) return;
  for (size_t i = 0; i < n; i += elem) std::reverse(p + i, p + i + elem);
}

// Where the bytes come from: the buffer itself, or the gzip stream it holds.
class Source {
 public:
  virtual ~Source() = default;
  // Reads up to n bytes; fewer only at the end of the data.
  virtual size_t read(uint8_t* out, size_t n) = 0;
};

class PlainSource : public Source {
 public:
  PlainSource(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t read(uint8_t* out, size_t n) override {
    n = std::min(n, size_ - pos_);
    if (n) std::memcpy(out, data_ + pos_, n);
    pos_ += n;
    return n;
  }
  size_t remaining() const { return size_ - pos_; }

 private:
  const uint8_t* data_;
  size_t size_, pos_ = 0;
};

// Inflates one or more concatenated gzip members (as gunzip does).
class GzipSource : public Source {
 public:
  GzipSource(const uint8_t* data, size_t size, const std::string& name) : data_(data), size_(size), name_(name) {
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) gzip_error("zlib could not be initialised");
  }
  ~GzipSource() override { inflateEnd(&zs_); }

  // After a parse error: a damaged stream explains it better (a flipped bit
  // shows as nonsense before the CRC at the end catches it), so decompress the
  // rest, up to `limit` bytes, and let a gzip error take precedence.
  void check_stream(size_t limit) {
    if (failed_) return;
    uint8_t scratch[1 << 14];
    size_t n, seen = 0;
    while (seen < limit && (n = read(scratch, sizeof scratch)) > 0) seen += n;
  }

  size_t read(uint8_t* out, size_t n) override {
    size_t produced = 0;
    while (produced < n && !done_) {
      if (zs_.avail_in == 0) feed();
      const size_t want = std::min<size_t>(n - produced, UINT_MAX);
      zs_.next_out = out + produced;
      zs_.avail_out = static_cast<uInt>(want);
      const int ret = inflate(&zs_, Z_NO_FLUSH);
      produced += want - zs_.avail_out;
      if (ret == Z_STREAM_END) {
        next_member();
      } else if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT) {
        gzip_error("corrupt gzip data: ", zs_.msg ? zs_.msg : "invalid compressed stream");
      } else if (ret == Z_MEM_ERROR) {
        gzip_error("out of memory while decompressing");
      } else if (ret == Z_BUF_ERROR && zs_.avail_in == 0 && pos_ == size_) {
        gzip_error("corrupt gzip data: the compressed stream is truncated (it ends before its end marker)");
      }
    }
    return produced;
  }

 private:
  template <class... Args>
  [[noreturn]] void gzip_error(const Args&... parts) {
    failed_ = true;
    fail(name_, parts...);
  }

  void feed() {
    const size_t n = std::min<size_t>(size_ - pos_, UINT_MAX);
    zs_.next_in = const_cast<Bytef*>(data_ + pos_);
    zs_.avail_in = static_cast<uInt>(n);
    pos_ += n;
  }

  // After a member ends: more input must be another member.
  void next_member() {
    const size_t left = zs_.avail_in + (size_ - pos_);
    if (left == 0) {
      done_ = true;
      return;
    }
    if (zs_.avail_in < 2) {  // the magic may straddle feeds only at UINT_MAX boundaries; refill
      pos_ -= zs_.avail_in;
      feed();
    }
    if (zs_.avail_in < 2 || zs_.next_in[0] != 0x1f || zs_.next_in[1] != 0x8b)
      gzip_error("corrupt gzip data: ", left, " bytes of trailing garbage after the compressed stream");
    if (inflateReset(&zs_) != Z_OK) gzip_error("zlib could not restart for the next gzip member");
  }

  const uint8_t* data_;
  size_t size_, pos_ = 0;
  const std::string& name_;
  z_stream zs_{};
  bool done_ = false;
  bool failed_ = false;  // a gzip error was raised: the stream cannot be read on
};

// Multiplies the dims (left to right, as numel() does, even past a zero) and
// the element size, or says which product overflows.
size_t payload_bytes(const std::vector<int64_t>& dims, size_t elem, const std::string& name, const char* type) {
  size_t n = 1, bytes = 0;
  for (int64_t d : dims)
    if (__builtin_mul_overflow(n, static_cast<size_t>(d), &n) || n > kMaxIdxBytes)
      fail(name, "the dimensions ", dims_str(dims), " overflow: their product exceeds 2^62");
  if (__builtin_mul_overflow(n, elem, &bytes) || bytes > kMaxIdxBytes)
    fail(name, "the dimensions ", dims_str(dims), " of ", type, " elements overflow: they need more than 2^62 bytes");
  return bytes;
}

IdxArray parse(Source& src, const std::string& name, bool gzip, const PlainSource* plain) {
  const char* after = gzip ? " (gzip-compressed; sizes are after decompression)" : "";
  uint8_t head[4];
  const size_t got = src.read(head, 4);
  if (got == 0) fail(name, gzip ? "the gzip data decompresses to nothing" : "empty file");
  if (got < 4) fail(name, "truncated header: ", got, " bytes, an IDX header needs at least 4", after);
  if (head[0] != 0 || head[1] != 0)
    fail(name, "wrong magic: it starts with ", hex(head[0]), " ", hex(head[1]), " ", hex(head[2]), " ", hex(head[3]),
         ", an IDX file starts with 0x00 0x00, a type code and the number of dimensions", after);
  if (!valid_type(head[2]))
    fail(name, "unknown type code ", hex(head[2]),
         " (IDX types: 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64)");

  IdxArray a;
  a.type = static_cast<IdxType>(head[2]);
  const size_t ndims = head[3];
  std::vector<uint8_t> dim_bytes(4 * ndims);
  const size_t got_dims = src.read(dim_bytes.data(), dim_bytes.size());
  if (got_dims < dim_bytes.size())
    fail(name, "truncated header: it declares ", ndims, " dimensions (", 4 + 4 * ndims, " header bytes) but has only ",
         4 + got_dims, " bytes", after);
  for (size_t i = 0; i < ndims; ++i) {
    const uint8_t* b = &dim_bytes[4 * i];
    a.dims.push_back((int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | int64_t{b[3]});
  }
  const size_t elem = idx_type_size(a.type);
  const size_t payload = payload_bytes(a.dims, elem, name, idx_type_name(a.type));
  const auto shorter = [&](size_t have) {
    fail(name, "the file is shorter than its header says: ", a.describe(), " needs ", payload,
         " bytes of elements, but only ", have, " follow the header", after);
  };

  if (plain) {  // sizes are known: check before allocating anything the header asks for
    if (plain->remaining() < payload) shorter(plain->remaining());
    if (plain->remaining() > payload)
      fail(name, "the file is longer than its header says: ", a.describe(), " needs ", payload, " bytes of elements, but ",
           plain->remaining(), " follow the header (", plain->remaining() - payload, " extra)");
    a.bytes.resize(payload);
    src.read(a.bytes.data(), payload);
  } else {  // grow with the data actually decompressed: a header cannot make us allocate
    size_t have = 0;
    while (have < payload) {
      a.bytes.resize(std::min(payload, std::max(kGrowStep, 2 * have)));
      const size_t n = src.read(a.bytes.data() + have, a.bytes.size() - have);
      have += n;
      if (have < a.bytes.size()) shorter(have);
    }
    uint8_t extra[4096];
    size_t n_extra = 0, n;
    while (n_extra < kExtraCountLimit && (n = src.read(extra, sizeof extra)) > 0) n_extra += n;
    if (n_extra > 0)
      fail(name, "the file is longer than its header says: ", a.describe(), " needs ", payload,
           " bytes of elements, but ", n_extra >= kExtraCountLimit ? "more than " : "", payload + n_extra,
           " follow the header", after);
  }
  swap_to_host(a.bytes.data(), a.bytes.size(), elem);
  return a;
}

void append_deflated(std::vector<uint8_t>& out, const std::vector<uint8_t>& in) {
  z_stream zs{};
  CUDANET_CHECK(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK,
                "encode_idx: zlib could not be initialised");
  size_t pos = 0;
  int ret = Z_OK;
  do {
    const size_t n = std::min<size_t>(in.size() - pos, UINT_MAX);
    zs.next_in = const_cast<Bytef*>(in.data() + pos);
    zs.avail_in = static_cast<uInt>(n);
    pos += n;
    const int flush = pos == in.size() ? Z_FINISH : Z_NO_FLUSH;
    do {
      const size_t old = out.size();
      out.resize(old + kGrowStep);
      zs.next_out = out.data() + old;
      zs.avail_out = static_cast<uInt>(kGrowStep);
      ret = deflate(&zs, flush);
      out.resize(old + kGrowStep - zs.avail_out);
    } while (zs.avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
  } while (pos < in.size());
  deflateEnd(&zs);
}

}  // namespace

size_t idx_type_size(IdxType t) {
  switch (t) {
    case IdxType::u8: case IdxType::i8: return 1;
    case IdxType::i16: return 2;
    case IdxType::i32: case IdxType::f32: return 4;
    case IdxType::f64: return 8;
  }
  return 0;
}

const char* idx_type_name(IdxType t) {
  switch (t) {
    case IdxType::u8: return "u8";
    case IdxType::i8: return "i8";
    case IdxType::i16: return "i16";
    case IdxType::i32: return "i32";
    case IdxType::f32: return "f32";
    case IdxType::f64: return "f64";
  }
  return "?";
}

int64_t IdxArray::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string IdxArray::describe() const { return std::string(idx_type_name(type)) + " " + dims_str(dims); }

IdxArray IdxArray::zeros(IdxType type, std::vector<int64_t> dims) {
  IdxArray a;
  a.type = type;
  a.dims = std::move(dims);
  a.bytes.assign(payload_bytes(a.dims, idx_type_size(type), "<new array>", idx_type_name(type)), 0);
  return a;
}

void IdxArray::check_type(IdxType t) const {
  CUDANET_CHECK(t == type, "IDX array ", describe(), " accessed as ", idx_type_name(t));
}

IdxArray read_idx_bytes(const void* data, size_t size, const std::string& name) {
  const auto* p = static_cast<const uint8_t*>(data);
  if (size >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
    GzipSource src(p, size, name);
    try {
      return parse(src, name, true, nullptr);
    } catch (const Error&) {
      src.check_stream(kCheckStreamLimit);
      throw;
    }
  }
  PlainSource src(p, size);
  return parse(src, name, false, &src);
}

IdxArray read_idx(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  return read_idx_bytes(bytes.data(), bytes.size(), path);
}

std::vector<uint8_t> encode_idx(const IdxArray& a, bool gzip) {
  CUDANET_CHECK(a.dims.size() <= 255, "encode_idx: ", a.dims.size(), " dimensions; IDX allows at most 255");
  for (int64_t d : a.dims)
    CUDANET_CHECK(d >= 0 && d <= int64_t{0xFFFFFFFF}, "encode_idx: dimension ", d, " of ", a.describe(),
                  " does not fit IDX's uint32");
  const size_t elem = idx_type_size(a.type);
  const size_t payload = payload_bytes(a.dims, elem, "<array to encode>", idx_type_name(a.type));
  CUDANET_CHECK(a.bytes.size() == payload, "encode_idx: ", a.describe(), " needs ", payload, " bytes, the array holds ",
                a.bytes.size());
  std::vector<uint8_t> raw = {0, 0, static_cast<uint8_t>(a.type), static_cast<uint8_t>(a.dims.size())};
  for (int64_t d : a.dims)
    for (int s = 24; s >= 0; s -= 8) raw.push_back(static_cast<uint8_t>(d >> s));
  const size_t header = raw.size();
  raw.insert(raw.end(), a.bytes.begin(), a.bytes.end());
  swap_to_host(raw.data() + header, payload, elem);
  if (!gzip) return raw;
  std::vector<uint8_t> out;
  append_deflated(out, raw);
  return out;
}

void write_idx(const std::string& path, const IdxArray& a, bool gzip) {
  const std::vector<uint8_t> bytes = encode_idx(a, gzip);
  write_file_atomic(path, bytes.data(), bytes.size());
}

Tensor idx_to_tensor(const IdxArray& a) {
  CUDANET_CHECK(a.dims.size() <= static_cast<size_t>(kMaxDims), "IDX array ", a.describe(), " has more than ",
                kMaxDims, " dimensions; a tensor holds at most ", kMaxDims);
  const Shape shape(a.dims);
  const int64_t n = a.numel();
  const auto widen = [&](auto tag) {
    using S = decltype(tag);
    Tensor t = Tensor::empty(shape, DType::i32);
    const S* src = a.data<S>();
    int32_t* dst = t.data<int32_t>();
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
    return t;
  };
  switch (a.type) {
    case IdxType::i8: return widen(int8_t{});
    case IdxType::i16: return widen(int16_t{});
    default: break;
  }
  const DType dt = a.type == IdxType::u8    ? DType::u8
                   : a.type == IdxType::i32 ? DType::i32
                   : a.type == IdxType::f32 ? DType::f32
                                            : DType::f64;
  Tensor t = Tensor::empty(shape, dt);
  if (!a.bytes.empty()) std::memcpy(t.data_ptr(), a.bytes.data(), a.bytes.size());
  return t;
}

}  // namespace cudanet
