// Entry points of the reductions: sum and mean (all, or over an axis), max and argmax.
#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cuda/reduce.cuh"

namespace cudanet {

namespace {

int normalize_axis(const Tensor& x, int axis, const char* op) {
  const int n = x.dim();
  const int a = axis < 0 ? axis + n : axis;
  CUDANET_CHECK(a >= 0 && a < n, op, ": axis ", axis, " out of range for tensor ", x.describe());
  return a;
}

ReduceParams axis_params(const Tensor& x, int a) {
  ReduceParams p;
  for (int d = 0; d < a; ++d) p.outer *= x.size(d);
  p.len = x.size(a);
  for (int d = a + 1; d < x.dim(); ++d) p.inner *= x.size(d);
  return p;
}

Shape reduced_shape(const Tensor& x, int a, bool keepdim) {
  std::vector<int64_t> dims;
  for (int d = 0; d < x.dim(); ++d) {
    if (d != a) dims.push_back(x.size(d));
    else if (keepdim) dims.push_back(1);
  }
  return Shape(dims);
}

Tensor sum_impl(const Tensor& x, const ReduceParams& p, const Shape& out_shape, const char* name) {
  check_floating(x, name);
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  CUDANET_DISPATCH(x.device(), reduce_sum, y, x, p);
  if (any_requires_grad({&x})) {
    record(y, name, {x}, [p, in_shape = x.shape()](const Tensor& g) {
      Tensor dx = Tensor::empty(in_shape, g.dtype(), g.device());
      CUDANET_DISPATCH(g.device(), reduce_sum_backward, dx, g, p);
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

}  // namespace

Tensor sum(const Tensor& x) {
  ReduceParams p;
  p.len = x.numel();
  return sum_impl(x, p, Shape{}, "sum");
}

Tensor sum(const Tensor& x, int axis, bool keepdim) {
  const int a = normalize_axis(x, axis, "sum");
  return sum_impl(x, axis_params(x, a), reduced_shape(x, a, keepdim), "sum");
}

Tensor mean(const Tensor& x) {
  CUDANET_CHECK(x.numel() > 0, "mean of empty tensor ", x.describe());
  ReduceParams p;
  p.len = x.numel();
  p.scale = 1.0 / static_cast<double>(p.len);
  return sum_impl(x, p, Shape{}, "mean");
}

Tensor mean(const Tensor& x, int axis, bool keepdim) {
  const int a = normalize_axis(x, axis, "mean");
  ReduceParams p = axis_params(x, a);
  CUDANET_CHECK(p.len > 0, "mean over empty axis ", axis, " of ", x.describe());
  p.scale = 1.0 / static_cast<double>(p.len);
  return sum_impl(x, p, reduced_shape(x, a, keepdim), "mean");
}

namespace {
std::pair<Tensor, Tensor> max_impl(const Tensor& x, int axis, bool keepdim, const char* name) {
  check_floating(x, name);
  const int a = normalize_axis(x, axis, name);
  const ReduceParams p = axis_params(x, a);
  CUDANET_CHECK(p.len > 0, name, " over empty axis ", axis, " of ", x.describe());
  const Shape s = reduced_shape(x, a, keepdim);
  Tensor y = Tensor::empty(s, x.dtype(), x.device());
  Tensor idx = Tensor::empty(s, DType::i32, x.device());
  CUDANET_DISPATCH(x.device(), reduce_max, y, idx, x, p);
  return {y, idx};
}
}  // namespace

Tensor max(const Tensor& x, int axis, bool keepdim) {
  // Not a structured binding: clang before 16 cannot capture one in a lambda.
  std::pair<Tensor, Tensor> r = max_impl(x, axis, keepdim, "max");
  Tensor y = r.first, idx = r.second;
  if (any_requires_grad({&x})) {
    const ReduceParams p = axis_params(x, normalize_axis(x, axis, "max"));
    record(y, "max", {x}, [p, idx, in_shape = x.shape()](const Tensor& g) {
      Tensor dx = Tensor::empty(in_shape, g.dtype(), g.device());
      CUDANET_DISPATCH(g.device(), reduce_max_backward, dx, g, idx, p);
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

Tensor argmax(const Tensor& x, int axis, bool keepdim) { return max_impl(x, axis, keepdim, "argmax").second; }

}  // namespace cudanet
