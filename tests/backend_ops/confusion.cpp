// Confusion-matrix cases: counts added to a matrix that already holds counts,
// with some labels out of range (not counted).
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

CUDANET_BACKEND_OPS(confusion) {
  // Integer counts (atomics on CUDA, in any order): exact. Normal logits have
  // no ties, so both backends pick the same argmax.
  struct Counts {
    int64_t n, k;
  };
  std::vector<Case> cases;
  for (const Counts& c : {Counts{1, 1}, Counts{1, 10}, Counts{63, 10}, Counts{1000, 3}, Counts{6007, 10},
                          Counts{257, 33}})
    for (DType dt : {DType::f32, DType::f64})
      cases.push_back({.entry = "confusion_update_",
                       .name = std::to_string(c.n) + "x" + std::to_string(c.k) + " " + dtype_name(dt),
                       .outputs = {{"cm", 0}},
                       .run = [c, dt](Inputs& in, Algo) -> std::vector<Tensor> {
                         Tensor cm = cast(in.uniform({c.k, c.k}, 0, 50, DType::f64), DType::i32);
                         // Labels in [-1, k]: the ends are out of range.
                         std::vector<int32_t> l = in.labels(c.n, c.k + 2).to(Device::cpu()).to_vector<int32_t>();
                         for (int32_t& v : l) --v;
                         const Tensor labels = Tensor::from_vector<int32_t>(l, {c.n}, in.device());
                         confusion_update_(cm, in.normal({c.n, c.k}, dt), labels);
                         return {cm};
                       }});
  return cases;
}
