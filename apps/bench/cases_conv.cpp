// Convolution: the reference model's three layers at batch 64 and 512, each
// pass (forward, backward-data, backward-filter), hand-written vs cuDNN vs CPU.
#include <string>

#include "apps/bench/cases.h"
#include "apps/bench/reference_model.h"
#include "kernels/cpu/conv2d.h"
#include "kernels/cuda/conv2d.cuh"
#include "kernels/cuda/cudnn_conv2d.h"

namespace cudanet::bench {

namespace {

Conv2dDims dims_of(int64_t n, const ConvShape& s) {
  Conv2dDims d;
  d.n = n, d.c = s.c, d.h = s.h, d.w = s.w;
  d.o = s.o, d.kh = s.k, d.kw = s.k;
  d.oh = s.oh(), d.ow = s.ow();
  return d;
}

// Every pass has the signature (out, in0, in1, dims); the bias is left out (below).
using Pass = void (*)(const Tensor&, const Tensor&, const Tensor&, const Conv2dDims&);

void fwd_cpu(const Tensor& y, const Tensor& x, const Tensor& w, const Conv2dDims& d) {
  cpu::conv2d_forward(y, x, w, Tensor(), d);
}
#ifdef CUDANET_WITH_CUDA
void fwd_native(const Tensor& y, const Tensor& x, const Tensor& w, const Conv2dDims& d) {
  cuda::conv2d_forward(y, x, w, Tensor(), d);
}
void fwd_cudnn(const Tensor& y, const Tensor& x, const Tensor& w, const Conv2dDims& d) {
  cuda::cudnn_conv2d_forward(y, x, w, Tensor(), d);
}
#endif

struct PassFns {
  const char* name;
  Pass cpu, native, cudnn;
  // Shapes of the two inputs and the output, from the dims.
  Shape (*in0)(const Conv2dDims&);
  Shape (*in1)(const Conv2dDims&);
  Shape (*out)(const Conv2dDims&);
};

Shape x_shape(const Conv2dDims& d) { return {d.n, d.c, d.h, d.w}; }
Shape w_shape(const Conv2dDims& d) { return {d.o, d.c, d.kh, d.kw}; }
Shape y_shape(const Conv2dDims& d) { return {d.n, d.o, d.oh, d.ow}; }

#ifdef CUDANET_WITH_CUDA
#define CUDANET_BENCH_CUDA_FN(f) f
#else
#define CUDANET_BENCH_CUDA_FN(f) nullptr
#endif

// The bias is left out: its forward is a fused add and its gradient a
// channel sum, both memory-bound and a sliver of the time.
const PassFns kPasses[] = {
    {"fwd", fwd_cpu, CUDANET_BENCH_CUDA_FN(fwd_native), CUDANET_BENCH_CUDA_FN(fwd_cudnn), x_shape, w_shape, y_shape},
    {"bwd_data", cpu::conv2d_backward_data, CUDANET_BENCH_CUDA_FN(cuda::conv2d_backward_data),
     CUDANET_BENCH_CUDA_FN(cuda::cudnn_conv2d_backward_data), y_shape, w_shape, x_shape},
    {"bwd_filter", cpu::conv2d_backward_filter, CUDANET_BENCH_CUDA_FN(cuda::conv2d_backward_filter),
     CUDANET_BENCH_CUDA_FN(cuda::cudnn_conv2d_backward_filter), y_shape, x_shape, w_shape},
};
#undef CUDANET_BENCH_CUDA_FN

}  // namespace

void register_conv_cases() {
  for (int n : kRefBatches) {
    for (const ConvShape& s : kRefConvs) {
      const Conv2dDims d = dims_of(n, s);
      for (const PassFns& p : kPasses) {
        OpSpec spec;
        spec.op = "conv2d";
        spec.pass = p.name;
        spec.shape = batch_label(n, s.name);
        spec.work = n * s.flops_per_image();
        // Reductions of up to N*OH*OW = 346,112 terms (conv1 backward-filter at
        // batch 512) summed in another order than the CPU's.
        spec.tol = gemm_tolerance();
        spec.inputs = [d, p] { return std::vector<Tensor>{random_tensor(p.in0(d), 11), random_tensor(p.in1(d), 12)}; };
        spec.bind = [d, p](const std::vector<Tensor>& in, Algo a) {
          Tensor out = Tensor::empty(p.out(d), DType::f32, in[0].device());
          const Pass f = in[0].device().is_cpu() ? p.cpu : (a == Algo::Cudnn ? p.cudnn : p.native);
          return Bound{[f, out, in, d] { f(out, in[0], in[1], d); }, {out}};
        };
        add_op_cases(spec, {Algo::Native, Algo::Cudnn}, {"reference", "layers"});
      }
    }
  }
}

}  // namespace cudanet::bench
