#include "core/shape.h"

#include <sstream>

#include "core/error.h"

namespace cudanet {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(const std::vector<int64_t>& dims) {
  CUDANET_CHECK(dims.size() <= static_cast<size_t>(kMaxDims), "shape with ", dims.size(),
                " dimensions; at most ", kMaxDims, " are supported");
  ndim_ = static_cast<int>(dims.size());
  for (int i = 0; i < ndim_; ++i) {
    CUDANET_CHECK(dims[i] >= 0, "negative dimension ", dims[i], " in a shape");
    dims_[i] = dims[i];
  }
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim_; ++i)
    if (__builtin_mul_overflow(n, dims_[i], &n)) CUDANET_FAIL("shape ", str(), " has more elements than int64 counts");
  return n;
}

std::string Shape::str() const {
  std::ostringstream os;
  os << "(";
  for (int i = 0; i < ndim_; ++i) os << (i ? ", " : "") << dims_[i];
  if (ndim_ == 1) os << ",";
  os << ")";
  return os.str();
}

bool Shape::operator==(const Shape& o) const {
  if (ndim_ != o.ndim_) return false;
  for (int i = 0; i < ndim_; ++i)
    if (dims_[i] != o.dims_[i]) return false;
  return true;
}

}  // namespace cudanet
