// index_select cases: the gather for every dtype, its gradient (repeated rows
// accumulate), and the out= form the data loader uses, checked and unchecked.
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

namespace {

struct Gather {
  int64_t rows_in, inner, rows_out;
};

std::string label(const Gather& g, DType dt) {
  return "(" + std::to_string(g.rows_in) + ", " + std::to_string(g.inner) + ") -> " + std::to_string(g.rows_out) +
         " rows " + dtype_name(dt);
}

// Random values of any dtype: integers from a uniform range, in u8's range too.
Tensor values(Inputs& in, const Shape& s, DType dt) {
  return is_floating(dt) ? in.normal(s, dt) : cast(in.uniform(s, dt == DType::u8 ? 0 : -100, 100, DType::f64), dt);
}

}  // namespace

CUDANET_BACKEND_OPS(index_select) {
  // One row, primes, more output rows than input rows (repeats), and MNIST's
  // 784-pixel rows.
  const Gather gathers[] = {{1, 1, 3}, {7, 3, 15}, {1000, 1, 2001}, {1000, 61, 999}, {37, 784, 41}};
  std::vector<Case> cases;
  for (const Gather& g : gathers) {
    // A gather copies bits: exact, whatever the dtype.
    for (DType dt : {DType::f32, DType::f64, DType::i32, DType::u8})
      cases.push_back({.entry = "index_select",
                       .name = label(g, dt),
                       .outputs = {{"y", 0}},
                       .run = [g, dt](Inputs& in, Algo) -> std::vector<Tensor> {
                         Tensor x = values(in, {g.rows_in, g.inner}, dt);
                         return {index_select(x, in.labels(g.rows_out, g.rows_in))};
                       }});
    // Backward: the CPU adds repeated rows in index order, CUDA by atomics in
    // any order. A row collects a few terms (at most ~15 here): float32 sums
    // reordered differ by a few roundings of the row, well under 1e-5.
    for (DType dt : {DType::f32, DType::f64})
      cases.push_back({.entry = "index_select",
                       .name = label(g, dt) + " backward",
                       .outputs = {{"y", 0}, {"dx", dt == DType::f32 ? 1e-5 : 1e-12}},
                       .run = [g, dt](Inputs& in, Algo) -> std::vector<Tensor> {
                         Tensor x = in.leaf(in.normal({g.rows_in, g.inner}, dt));
                         Tensor y = index_select(x, in.labels(g.rows_out, g.rows_in));
                         in.backward(y);
                         return {y, x.grad()};
                       }});
    // Into a buffer holding other values; unchecked is the loader's path (the
    // CPU always checks). In-range indices give the same gather either way.
    for (bool check : {true, false})
      cases.push_back({.entry = "index_select_out",
                       .name = label(g, DType::f32) + (check ? " checked" : " unchecked"),
                       .outputs = {{"out", 0}},
                       .run = [g, check](Inputs& in, Algo) -> std::vector<Tensor> {
                         Tensor x = in.normal({g.rows_in, g.inner}), out = in.normal({g.rows_out, g.inner});
                         index_select_out(out, x, in.labels(g.rows_out, g.rows_in), check);
                         return {out};
                       }});
  }
  return cases;
}
