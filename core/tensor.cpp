#include "core/tensor.h"

#include <sstream>

#include "core/autograd.h"
#include "core/ops.h"

namespace cudanet {

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  require_device(device);
  const auto n = static_cast<size_t>(shape.numel());
  if (n > SIZE_MAX / dtype_size(dtype))
    throw OutOfMemoryError(detail::cat("out of memory: a tensor of shape ", shape.str(), " needs over 2^64 bytes"));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(n * dtype_size(dtype), device);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  fill_(t, 0.0);
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  fill_(t, value);
  return t;
}

Tensor Tensor::scalar(double value, DType dtype, Device device) { return full(Shape{}, value, dtype, device); }

int64_t Tensor::size(int d) const {
  const int n = dim();
  if (d < 0) d += n;
  CUDANET_CHECK(d >= 0 && d < n, "dimension ", d, " out of range for tensor ", describe());
  return shape()[d];
}

std::string Tensor::describe() const {
  if (!defined()) return "<undefined>";
  std::ostringstream os;
  os << dtype_name(dtype()) << shape().str() << " on " << device().str();
  return os.str();
}

void* Tensor::data_ptr() const {
  const TensorImpl& i = impl();
  if (!i.storage || !i.storage->data()) return nullptr;
  return static_cast<char*>(i.storage->data()) + i.offset * static_cast<int64_t>(dtype_size(i.dtype));
}

double Tensor::item() const {
  CUDANET_CHECK(numel() == 1, "item() on tensor ", describe(), " with ", numel(), " elements");
  Tensor h = device().is_cpu() ? *this : to(Device::cpu());
  switch (dtype()) {
    case DType::f32: return *h.data<float>();
    case DType::f64: return *h.data<double>();
    case DType::i32: return *h.data<int32_t>();
    case DType::u8: return *h.data<uint8_t>();
  }
  return 0;
}

Tensor Tensor::to(Device d) const {
  if (d == device()) return *this;
  Tensor out = empty(shape(), dtype(), d);
  copy_bytes(out.data_ptr(), d, data_ptr(), device(), nbytes());
  if (requires_grad() && grad_enabled()) {
    const Device src = device();
    record(out, "to_device", {*this}, [src](const Tensor& g) { return std::vector<Tensor>{g.to(src)}; });
  }
  return out;
}

Tensor Tensor::to(DType t) const {
  if (t == dtype()) return *this;
  return cast(*this, t);
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  copy_bytes(out.data_ptr(), device(), data_ptr(), device(), nbytes());
  return out;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset;
  impl->shape = impl_->shape;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::reshape(const std::vector<int64_t>& requested) const {
  std::vector<int64_t> dims = requested;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      CUDANET_CHECK(infer < 0, "reshape of ", describe(), ": more than one -1 in the new shape");
      infer = static_cast<int>(i);
    } else {
      known *= dims[i];
    }
  }
  if (infer >= 0 && known > 0) dims[infer] = numel() / known;
  Shape s(dims);
  CUDANET_CHECK(s.numel() == numel(), "cannot reshape tensor ", describe(), " (", numel(),
                " elements) to shape ", s.str(), " (", s.numel(), " elements)");
  Tensor out = detach();
  out.impl().shape = s;
  if (requires_grad() && grad_enabled()) {
    const Shape old = shape();
    record(out, "reshape", {*this}, [old](const Tensor& g) { return std::vector<Tensor>{g.reshape(old.vec())}; });
  }
  return out;
}

void Tensor::copy_(const Tensor& src) {
  check_same_shape(*this, src, "copy_");
  check_same_dtype(*this, src, "copy_");
  copy_bytes(data_ptr(), device(), src.data_ptr(), src.device(), nbytes());
}

Tensor& Tensor::set_requires_grad(bool on) {
  CUDANET_CHECK(!on || is_floating(dtype()), "requires_grad on non-floating tensor ", describe());
  impl().requires_grad = on;
  return *this;
}

void check_same_shape(const Tensor& a, const Tensor& b, const char* op) {
  CUDANET_CHECK(a.shape() == b.shape(), op, ": shape mismatch: ", a.describe(), " vs ", b.describe());
}
void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  CUDANET_CHECK(a.device() == b.device(), op, ": device mismatch: ", a.describe(), " vs ", b.describe());
}
void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  CUDANET_CHECK(a.dtype() == b.dtype(), op, ": dtype mismatch: ", a.describe(), " vs ", b.describe());
}
void check_dtype(const Tensor& t, DType expected, const char* op, const char* what) {
  CUDANET_CHECK(t.dtype() == expected, op, ": ", what, " must be ", dtype_name(expected), ", got ",
                t.describe());
}
void check_floating(const Tensor& t, const char* op) {
  CUDANET_CHECK(is_floating(t.dtype()), op, ": expected a float32 or float64 tensor, got ", t.describe());
}
void check_ndim(const Tensor& t, int ndim, const char* op, const char* what) {
  CUDANET_CHECK(t.dim() == ndim, op, ": ", what, " must have ", ndim, " dimensions, got ", t.describe());
}

}  // namespace cudanet
