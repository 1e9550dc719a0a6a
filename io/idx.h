#pragma once
// IDX files, MNIST's format: two zero bytes, a type code, the number of
// dimensions, each dimension as a big-endian uint32, then the elements in
// big-endian order. Read plain or gzip-compressed (recognised by the gzip magic
// 1f 8b, never by the file name); every defect is an Error naming the file.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace cudanet {

// The element types of the IDX format, valued by their type codes.
enum class IdxType : uint8_t { u8 = 0x08, i8 = 0x09, i16 = 0x0B, i32 = 0x0C, f32 = 0x0D, f64 = 0x0E };

size_t idx_type_size(IdxType t);
const char* idx_type_name(IdxType t);  // "u8", "i8", "i16", "i32", "f32", "f64"

template <class T> struct idx_type_of;
template <> struct idx_type_of<uint8_t> { static constexpr IdxType value = IdxType::u8; };
template <> struct idx_type_of<int8_t> { static constexpr IdxType value = IdxType::i8; };
template <> struct idx_type_of<int16_t> { static constexpr IdxType value = IdxType::i16; };
template <> struct idx_type_of<int32_t> { static constexpr IdxType value = IdxType::i32; };
template <> struct idx_type_of<float> { static constexpr IdxType value = IdxType::f32; };
template <> struct idx_type_of<double> { static constexpr IdxType value = IdxType::f64; };

// An IDX file's content, element type kept as stored.
struct IdxArray {
  IdxType type = IdxType::u8;
  std::vector<int64_t> dims;  // any number (0 to 255), each < 2^32
  std::vector<uint8_t> bytes;  // numel() elements in host byte order

  int64_t numel() const;
  std::string describe() const;  // "u8 (60000, 28, 28)"

  template <class T>
  T* data() {
    check_type(idx_type_of<T>::value);
    return reinterpret_cast<T*>(bytes.data());
  }
  template <class T>
  const T* data() const {
    check_type(idx_type_of<T>::value);
    return reinterpret_cast<const T*>(bytes.data());
  }

  // An array of the given type and dims with zeroed elements.
  static IdxArray zeros(IdxType type, std::vector<int64_t> dims);

 private:
  void check_type(IdxType t) const;
};

// `name` is what errors call the buffer (the file it came from).
IdxArray read_idx(const std::string& path);
IdxArray read_idx_bytes(const void* data, size_t size, const std::string& name);
// The file image of `a`: big-endian header and elements, gzip-compressed if asked.
std::vector<uint8_t> encode_idx(const IdxArray& a, bool gzip);
// Written atomically (temporary file in the same folder, fsync, rename).
void write_idx(const std::string& path, const IdxArray& a, bool gzip);

// The array as a CPU tensor: u8 stays uint8, i8/i16/i32 become int32, f32 and
// f64 stay. At most kMaxDims dimensions.
Tensor idx_to_tensor(const IdxArray& a);

}  // namespace cudanet
