#include "kernels/cpu/index_select.h"

#include <cstring>

#include "core/threads.h"
#include "kernels/common/type_dispatch.h"

namespace cudanet::cpu::CUDANET_CPU_VARIANT {

void index_select_check(const Tensor& index, const IndexSelectParams& p, const char* op) {
  const int32_t* idx = index.data<int32_t>();
  for (int64_t i = 0; i < p.rows_out; ++i)
    CUDANET_CHECK(idx[i] >= 0 && idx[i] < p.rows_in, op, ": index ", idx[i], " at position ", i,
                  " is out of range for ", p.rows_in, " rows");
}

void index_select_forward(const Tensor& y, const Tensor& x, const Tensor& index, const IndexSelectParams& p) {
  const int32_t* idx = index.data<int32_t>();
  // Rows are contiguous runs of bytes: one memcpy each serves every dtype.
  const size_t row_bytes = static_cast<size_t>(p.inner) * dtype_size(x.dtype());
  if (row_bytes == 0) return;
  const auto* src = static_cast<const char*>(x.data_ptr());
  auto* dst = static_cast<char*>(y.data_ptr());
#pragma omp parallel for if (p.rows_out * p.inner > kParallelGrain)
  for (int64_t i = 0; i < p.rows_out; ++i)
    std::memcpy(dst + i * row_bytes, src + static_cast<size_t>(idx[i]) * row_bytes, row_bytes);
}

void index_select_backward(const Tensor& dx, const Tensor& dy, const Tensor& index, const IndexSelectParams& p) {
  // Checked again: the CPU writes through the indices (the index tensor could
  // have changed since the forward).
  index_select_check(index, p, "index_select_backward");
  const int32_t* idx = index.data<int32_t>();
  dispatch_floating(dy.dtype(), "index_select_backward", [&](auto tag) {
    using T = decltype(tag);
    T* dxs = dx.data<T>();
    const T* dys = dy.data<T>();
    std::fill(dxs, dxs + p.rows_in * p.inner, T(0));
    // Parallel over columns: repeated indices then never race, and the sum order is fixed.
#pragma omp parallel for if (p.rows_out * p.inner > kParallelGrain)
    for (int64_t j = 0; j < p.inner; ++j)
      for (int64_t i = 0; i < p.rows_out; ++i) dxs[idx[i] * p.inner + j] += dys[i * p.inner + j];
  });
}

}  // namespace cudanet::cpu::CUDANET_CPU_VARIANT
