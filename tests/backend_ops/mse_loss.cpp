// mse_loss cases: the loss and the gradients of both operands.
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

CUDANET_BACKEND_OPS(mse_loss) {
  // (a - b)^2 is the same two roundings on both sides and the mean adds in
  // double on both (reduce): the losses differ by at most one float rounding.
  // The gradient's factor 2 * dloss / n is formed in double on the CPU and in
  // float on CUDA, two roundings apart: elements within ~3 ulp (3.6e-7).
  constexpr double kTol = 1e-6, kTol64 = 1e-14;
  std::vector<Case> cases;
  for (const Shape& s : {Shape{1}, Shape{7, 37}, Shape{3, 5, 7, 11}, Shape{60001}})
    for (DType dt : {DType::f32, DType::f64}) {
      if (dt == DType::f64 && s.numel() > 2000) continue;
      const double tol = dt == DType::f32 ? kTol : kTol64;
      cases.push_back({.entry = "mse_loss",
                       .name = s.str() + (dt == DType::f64 ? " float64" : ""),
                       .outputs = {{"loss", tol}, {"dpred", tol}, {"dtarget", tol}},
                       .run = [s, dt](Inputs& in, Algo) -> std::vector<Tensor> {
                         Tensor pred = in.leaf(in.normal(s, dt)), target = in.leaf(in.normal(s, dt));
                         Tensor loss = mse_loss(pred, target);
                         in.backward(loss);
                         return {loss, pred.grad(), target.grad()};
                       }});
    }
  return cases;
}
