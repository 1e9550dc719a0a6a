// Dropout cases: the Philox mask is drawn from the same (seed, offset) words
// on both backends (kernels/common/dropout.h), so outputs must be equal.
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

CUDANET_BACKEND_OPS(dropout) {
  std::vector<Case> cases;
  // Sizes off the 4 elements per Philox counter (1, 5, 259) and one that makes
  // the grid-stride loop turn; a generator already advanced, so the offset is
  // not zero. The mask is bit-identical and each kept element is one multiply
  // by the same scale: exact, forward and backward (which applies the mask again).
  struct Drop {
    Shape shape;
    double p;
    DType dt;
  };
  for (const Drop& d : {Drop{{1}, 0.35, DType::f32}, Drop{{5}, 0.35, DType::f32}, Drop{{7, 37}, 0.5, DType::f32},
                        Drop{{60003}, 0.35, DType::f32}, Drop{{3, 5, 7, 11}, 0.9, DType::f32},
                        Drop{{7, 37}, 0.2, DType::f64}})
    cases.push_back({.entry = "dropout",
                     .name = d.shape.str() + " p " + std::to_string(d.p).substr(0, 4) +
                             (d.dt == DType::f64 ? " float64" : ""),
                     .outputs = {{"y", 0}, {"dx", 0}},
                     .run = [d](Inputs& in, Algo) -> std::vector<Tensor> {
                       Generator g(in.next_seed());
                       g.advance(3);
                       Tensor x = in.leaf(in.normal(d.shape, d.dt));
                       Tensor y = dropout(x, d.p, true, g);
                       in.backward(y);
                       return {y, x.grad()};
                     }});
  return cases;
}
