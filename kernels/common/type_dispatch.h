#pragma once
// Calls f(T{}) with T the C++ type of a floating dtype (float or double).
#include "core/dtype.h"
#include "core/error.h"

namespace cudanet {

template <class F>
void dispatch_floating(DType t, const char* op, F&& f) {
  switch (t) {
    case DType::f32: f(float{}); return;
    case DType::f64: f(double{}); return;
    default: CUDANET_FAIL(op, ": unsupported dtype ", dtype_name(t), " (expected float32 or float64)");
  }
}

template <class F>
void dispatch_all(DType t, F&& f) {
  switch (t) {
    case DType::f32: f(float{}); return;
    case DType::f64: f(double{}); return;
    case DType::i32: f(int32_t{}); return;
    case DType::u8: f(uint8_t{}); return;
  }
}

}  // namespace cudanet
