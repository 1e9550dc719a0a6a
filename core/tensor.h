#pragma once
// Tensor: a shape, a dtype and a device over shared contiguous row-major storage,
// plus the autograd fields. Copying a Tensor copies a handle, never the data.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/storage.h"

namespace cudanet {

struct Node;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements, for views into a larger storage
  Shape shape;
  DType dtype = DType::f32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // accumulated gradient of a leaf
  std::shared_ptr<Node> grad_fn;     // the op that produced this tensor
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation ----
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32, Device device = Device::cpu());
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device = Device::cpu());
  static Tensor scalar(double value, DType dtype = DType::f32, Device device = Device::cpu());

  // ---- properties ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int dim() const { return impl().shape.ndim(); }
  int64_t size(int d) const;  // negative d counts from the end
  int64_t numel() const { return impl().shape.numel(); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage ? impl().storage->device() : Device::cpu(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }
  // "float32(64, 10) on cuda:0": for error messages.
  std::string describe() const;

  // ---- data access ----
  void* data_ptr() const;
  template <class T>
  T* data() const;  // checks the dtype
  template <class T>
  std::vector<T> to_vector() const;  // copies to the host
  double item() const;               // a one-element tensor's value, any dtype

  // ---- conversion and views ----
  Tensor to(Device device) const;
  Tensor to(DType dtype) const;
  Tensor clone() const;
  // A view; differentiable; one dimension may be -1 (inferred).
  Tensor reshape(const std::vector<int64_t>& dims) const;
  Tensor detach() const;                     // same data, no graph
  void copy_(const Tensor& src);             // same shape and dtype, any devices
  bool same_storage(const Tensor& o) const { return impl().storage == o.impl().storage; }

  // ---- autograd ----
  bool requires_grad() const { return defined() && impl().requires_grad; }
  Tensor& set_requires_grad(bool on);
  Tensor grad() const { return Tensor(impl().grad); }
  void set_grad(const Tensor& g) { impl().grad = g.impl_; }
  bool is_leaf() const { return !impl().grad_fn; }
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }
  // Gradient of this tensor w.r.t. every leaf that requires it. A non-scalar
  // needs a seed gradient of its own shape.
  void backward(const Tensor& seed = Tensor()) const;

  TensorImpl& impl() const {
    CUDANET_CHECK(impl_, "use of an undefined tensor");
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Parameters, buffers and optimizer state by name, in a fixed order.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// ---- checks used by op entry points: each names both sides ----
void check_same_shape(const Tensor& a, const Tensor& b, const char* op);
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
void check_same_dtype(const Tensor& a, const Tensor& b, const char* op);
void check_dtype(const Tensor& t, DType expected, const char* op, const char* what);
void check_floating(const Tensor& t, const char* op);
void check_ndim(const Tensor& t, int ndim, const char* op, const char* what);

template <class T>
T* Tensor::data() const {
  CUDANET_CHECK(dtype() == dtype_v<T>, "tensor ", describe(), " accessed as ", dtype_name(dtype_v<T>));
  return static_cast<T*>(data_ptr());
}

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  CUDANET_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "from_vector: ", values.size(),
                " values do not fill shape ", shape.str(), " (", shape.numel(), " elements)");
  Tensor t = empty(shape, dtype_v<T>, device);
  copy_bytes(t.data_ptr(), device, values.data(), Device::cpu(), values.size() * sizeof(T));
  return t;
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  CUDANET_CHECK(dtype() == dtype_v<T>, "to_vector<", dtype_name(dtype_v<T>), "> on tensor ", describe());
  std::vector<T> out(static_cast<size_t>(numel()));
  copy_bytes(out.data(), Device::cpu(), data_ptr(), device(), out.size() * sizeof(T));
  return out;
}

}  // namespace cudanet
