// Max pooling: the reference model's two layers at batch 64 and 512, forward and
// backward, hand-written vs cuDNN vs CPU. Rates are in GB/s of the op's least
// traffic (input read once, output written once), the same for every algorithm.
#include <string>

#include "apps/bench/cases.h"
#include "apps/bench/reference_model.h"
#include "kernels/cpu/pool2d.h"
#include "kernels/cuda/pool2d.cuh"

namespace cudanet::bench {

namespace {

Pool2dDims dims_of(int64_t n, const PoolShape& s) {
  Pool2dDims d;
  d.mode = PoolMode::Max;
  d.n = n, d.c = s.c;
  d.h = static_cast<int>(s.h), d.w = static_cast<int>(s.w);
  d.kh = d.kw = d.sh = d.sw = static_cast<int>(s.k);
  d.oh = d.h / d.sh, d.ow = d.w / d.sw;
  return d;
}

Shape in_shape(const Pool2dDims& d) { return {d.n, d.c, d.h, d.w}; }
Shape out_shape(const Pool2dDims& d) { return {d.n, d.c, d.oh, d.ow}; }

// y and, for the native kernels and the CPU, the argmax their backward reads.
struct Forward {
  Tensor y, argmax;
};
Forward alloc_forward(const Pool2dDims& d, Device dev) {
  return {Tensor::empty(out_shape(d), DType::f32, dev), Tensor::empty(out_shape(d), DType::i32, dev)};
}
void run_forward(const Forward& f, const Tensor& x, const Pool2dDims& d, [[maybe_unused]] Algo a) {
  if (x.device().is_cpu()) return cpu::pool2d_forward(f.y, f.argmax, x, d);
#ifdef CUDANET_WITH_CUDA
  if (a == Algo::Cudnn) return cuda::cudnn_pool2d_forward(f.y, x, d);
  cuda::pool2d_forward(f.y, f.argmax, x, d);
#endif
}

Bound bind_forward(const Pool2dDims& d, const std::vector<Tensor>& in, Algo a) {
  Forward f = alloc_forward(d, in[0].device());
  return {[f, x = in[0], d, a] { run_forward(f, x, d, a); }, {f.y}};
}

Bound bind_backward(const Pool2dDims& d, const std::vector<Tensor>& in, Algo a) {
  const Tensor& x = in[0];
  const Tensor& dy = in[1];
  Forward f = alloc_forward(d, x.device());
  run_forward(f, x, d, a);
  Tensor dx = Tensor::empty(in_shape(d), DType::f32, x.device());
  auto run = [f, x, dy, dx, d, a] {
    if (x.device().is_cpu()) return cpu::pool2d_backward(dx, dy, f.argmax, d);
#ifdef CUDANET_WITH_CUDA
    if (a == Algo::Cudnn) return cuda::cudnn_pool2d_backward(dx, dy, x, f.y, d);
    cuda::pool2d_backward(dx, dy, f.argmax, d);
#endif
  };
  return {run, {dx}};
}

}  // namespace

void register_pool_cases() {
  for (int n : kRefBatches) {
    for (const PoolShape& s : kRefPools) {
      const Pool2dDims d = dims_of(n, s);
      const double bytes = 4.0 * (in_shape(d).numel() + out_shape(d).numel());
      for (bool backward : {false, true}) {
        OpSpec spec;
        spec.op = "pool2d";
        spec.pass = backward ? "bwd" : "fwd";
        spec.shape = batch_label(n, s.name);
        spec.unit = Unit::Byte;
        spec.work = bytes;
        spec.tol = 1e-6;  // a selection and a routing of values: exact unless an index is wrong
        spec.inputs = [d, backward] {
          std::vector<Tensor> in{random_tensor(in_shape(d), 21)};
          if (backward) in.push_back(random_tensor(out_shape(d), 22));  // dy
          return in;
        };
        spec.bind = [d, backward](const std::vector<Tensor>& in, Algo a) {
          return backward ? bind_backward(d, in, a) : bind_forward(d, in, a);
        };
        add_op_cases(spec, {Algo::Native, Algo::Cudnn}, {"reference", "layers"});
      }
    }
  }
}

}  // namespace cudanet::bench
