// Entry point of index_select: rows of a tensor picked by an int32 index (the
// data loader's batch gather; embedding lookups).
#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/index_select.h"
#include "kernels/cuda/index_select.cuh"

namespace cudanet {

namespace {
IndexSelectParams check_and_params(const Tensor& x, const Tensor& index, const char* op) {
  CUDANET_CHECK(x.dim() >= 1, op, ": input ", x.describe(), " has no rows");
  check_dtype(index, DType::i32, op, "index");
  check_ndim(index, 1, op, "index");
  check_same_device(x, index, op);
  IndexSelectParams p;
  p.rows_in = x.size(0);
  p.rows_out = index.size(0);
  for (int d = 1; d < x.dim(); ++d) p.inner *= x.size(d);
  return p;
}

Shape out_shape(const Tensor& x, int64_t rows) {
  Shape s = x.shape();
  s[0] = rows;
  return s;
}
}  // namespace

Tensor index_select(const Tensor& x, const Tensor& index) {
  const IndexSelectParams p = check_and_params(x, index, "index_select");
  CUDANET_DISPATCH(x.device(), index_select_check, index, p, "index_select");
  Tensor y = Tensor::empty(out_shape(x, p.rows_out), x.dtype(), x.device());
  CUDANET_DISPATCH(x.device(), index_select_forward, y, x, index, p);
  if (any_requires_grad({&x})) {
    record(y, "index_select", {x}, [p, index, xshape = x.shape()](const Tensor& g) {
      Tensor dx = Tensor::empty(xshape, g.dtype(), g.device());
      CUDANET_DISPATCH(g.device(), index_select_backward, dx, g, index, p);
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

void index_select_out(const Tensor& out, const Tensor& x, const Tensor& index, bool check_range) {
  const IndexSelectParams p = check_and_params(x, index, "index_select_out");
  check_same_device(out, x, "index_select_out");
  check_same_dtype(out, x, "index_select_out");
  CUDANET_CHECK(out.shape() == out_shape(x, p.rows_out), "index_select_out: output ", out.describe(),
                " must have shape ", out_shape(x, p.rows_out).str(), " for input ", x.describe(), " and index ",
                index.describe());
  if (check_range || x.device().is_cpu()) CUDANET_DISPATCH(x.device(), index_select_check, index, p, "index_select_out");
  CUDANET_DISPATCH(x.device(), index_select_forward, out, x, index, p);
}

}  // namespace cudanet
