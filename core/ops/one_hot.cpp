// Entry point of one_hot: class labels as rows of a float matrix (the target of
// a loss on probabilities, such as mse_loss on a softmax).
#include "core/ops.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/one_hot.h"
#include "kernels/cuda/one_hot.cuh"

namespace cudanet {

Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype) {
  const char* op = "one_hot";
  check_dtype(labels, DType::i32, op, "labels");
  check_ndim(labels, 1, op, "labels");
  CUDANET_CHECK(num_classes > 0, op, ": num_classes must be positive, got ", num_classes);
  CUDANET_CHECK(dtype == DType::f32 || dtype == DType::f64, op, ": dtype must be float32 or float64, got ",
                dtype_name(dtype));
  const OneHotParams p{labels.size(0), num_classes};
  Tensor out = Tensor::empty({p.rows, p.classes}, dtype, labels.device());
  CUDANET_DISPATCH(labels.device(), one_hot_forward, out, labels, p);
  return out;
}

}  // namespace cudanet
