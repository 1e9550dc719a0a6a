// Label-rank cases: counts added to a histogram that already holds counts, with
// some labels out of range (not counted) and some logits tied to the label's.
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

CUDANET_BACKEND_OPS(label_rank) {
  // Integer counts (atomics on CUDA, in any order): exact. Ties are exact too:
  // both backends compare the same values with the same rule.
  struct Counts {
    int64_t n, k;
  };
  std::vector<Case> cases;
  for (const Counts& c : {Counts{1, 1}, Counts{1, 10}, Counts{63, 10}, Counts{1000, 3}, Counts{6007, 10},
                          Counts{257, 33}})
    for (DType dt : {DType::f32, DType::f64})
      cases.push_back({.entry = "label_rank_update_",
                       .name = std::to_string(c.n) + "x" + std::to_string(c.k) + " " + dtype_name(dt),
                       .outputs = {{"counts", 0}},
                       .run = [c, dt](Inputs& in, Algo) -> std::vector<Tensor> {
                         Tensor counts = cast(in.uniform({c.k}, 0, 50, DType::f64), DType::i32);
                         std::vector<int32_t> l = in.labels(c.n, c.k + 2).to(Device::cpu()).to_vector<int32_t>();
                         for (int32_t& v : l) --v;  // labels in [-1, k]: the ends are out of range
                         const Tensor labels = Tensor::from_vector<int32_t>(l, {c.n}, in.device());
                         // Logits rounded to quarters: many ties with the label's logit.
                         Tensor z = cast(cast(scale(in.normal({c.n, c.k}, DType::f64), 4.0), DType::i32), dt);
                         label_rank_update_(counts, z, labels);
                         return {counts};
                       }});
  return cases;
}
