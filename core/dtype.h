#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace cudanet {

enum class DType : uint8_t { f32, f64, i32, u8 };

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i32: return 4;
    case DType::u8: return 1;
  }
  return 0;
}

const char* dtype_name(DType t);  // "float32", ...
// The safetensors spelling ("F32", "F64", "I32", "U8").
const char* dtype_safetensors_name(DType t);
DType dtype_from_safetensors_name(const std::string& name);

template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::f32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::f64; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::i32; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::u8; };
template <class T> inline constexpr DType dtype_v = dtype_of<T>::value;

inline bool is_floating(DType t) { return t == DType::f32 || t == DType::f64; }

}  // namespace cudanet
