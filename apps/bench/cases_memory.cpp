// Memory-bound ops at sizes well beyond the L2 (ReLU, softmax, Adam over 2^24+
// elements) and the reference model's small ones (cross-entropy at its batch
// sizes, Adam over its 93,322 parameters). Rates in GB/s of the least traffic
// each op needs: every input read once, every output written once.
#include <memory>
#include <string>

#include "apps/bench/cases.h"
#include "apps/bench/reference_model.h"
#include "kernels/cpu/cross_entropy.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/softmax.h"
#include "kernels/cuda/cross_entropy.cuh"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/softmax.cuh"
#include "optim/optimizer.h"

namespace cudanet::bench {

namespace {

// 2^26 floats = 256 MiB per tensor on CUDA, five times an H100's 50 MiB L2;
// half that on the CPU, still far beyond its caches, to keep runs short.
constexpr int64_t kCudaElems = 1LL << 26;
constexpr int64_t kCpuElems = 1LL << 25;

std::string mega(int64_t n) { return std::to_string(n >> 20) + "M"; }

void add_relu(int64_t n, const std::string& shape, bool cuda, bool cpu, const std::vector<std::string>& fwd_tags,
              const std::vector<std::string>& bwd_tags) {
  const UnaryParams p{UnaryOp::Relu, 0};
  for (bool backward : {false, true}) {
    OpSpec spec;
    spec.op = "relu";
    spec.pass = backward ? "bwd" : "fwd";
    spec.shape = shape;
    spec.unit = Unit::Byte;
    spec.work = 4.0 * n * (backward ? 3 : 2);  // fwd: x -> y; bwd: x, dy -> dx
    spec.tol = 0;                              // a comparison and a copy: exact
    spec.inputs = [n, backward] {
      std::vector<Tensor> in{random_tensor({n}, 41)};
      if (backward) in.push_back(random_tensor({n}, 42));
      return in;
    };
    spec.bind = [n, backward, p](const std::vector<Tensor>& in, Algo) {
      Tensor out = Tensor::empty({n}, DType::f32, in[0].device());
      auto run = [out, in, backward, p] {
        const bool cpu = in[0].device().is_cpu();
        // ReLU's gradient reads x and dy only; y is passed as x to satisfy the signature.
        if (cpu) return backward ? cpu::unary_backward(out, in[0], in[0], in[1], p) : cpu::unary_forward(out, in[0], p);
#ifdef CUDANET_WITH_CUDA
        backward ? cuda::unary_backward(out, in[0], in[0], in[1], p) : cuda::unary_forward(out, in[0], p);
#endif
      };
      return Bound{run, {out}};
    };
    add_op_cases(spec, cuda ? std::vector<Algo>{Algo::Native} : std::vector<Algo>{}, backward ? bwd_tags : fwd_tags,
                 cpu);
  }
}

void add_softmax(int64_t rows, int64_t cols, bool on_cuda) {
  for (bool backward : {false, true}) {
    OpSpec spec;
    spec.op = "softmax";
    spec.pass = backward ? "bwd" : "fwd";
    spec.shape = std::to_string(rows) + "x" + std::to_string(cols);
    spec.unit = Unit::Byte;
    spec.work = 4.0 * rows * cols * (backward ? 3 : 2);  // fwd: x -> y; bwd: y, dy -> dx
    spec.tol = 1e-5;  // exp and a 1024-term sum per row in float32
    spec.inputs = [rows, cols, backward] {
      std::vector<Tensor> in{random_tensor({rows, cols}, 43)};
      if (backward) in.push_back(random_tensor({rows, cols}, 44));
      return in;
    };
    spec.bind = [rows, cols, backward](const std::vector<Tensor>& in, Algo a) {
      SoftmaxParams p;
      p.rows = rows, p.cols = cols, p.algo = a;
      const Device dev = in[0].device();
      Tensor out = Tensor::empty({rows, cols}, DType::f32, dev);
      // The backward's y: a real softmax of x, so its rows sum to one.
      Tensor y;
      if (backward) {
        y = Tensor::empty({rows, cols}, DType::f32, dev);
        if (dev.is_cpu()) cpu::softmax_forward(y, in[0], p);
#ifdef CUDANET_WITH_CUDA
        else cuda::softmax_forward(y, in[0], p);
#endif
      }
      auto run = [out, y, in, p, backward] {
        if (in[0].device().is_cpu())
          return backward ? cpu::softmax_backward(out, y, in[1], p) : cpu::softmax_forward(out, in[0], p);
#ifdef CUDANET_WITH_CUDA
        if (p.algo == Algo::Cudnn)
          return backward ? cuda::cudnn_softmax_backward(out, y, in[1], p) : cuda::cudnn_softmax_forward(out, in[0], p);
        backward ? cuda::softmax_backward(out, y, in[1], p) : cuda::softmax_forward(out, in[0], p);
#endif
      };
      return Bound{run, {out}};
    };
    add_op_cases(spec, on_cuda ? std::vector<Algo>{Algo::Native, Algo::Cudnn} : std::vector<Algo>{},
                 backward ? std::vector<std::string>{"memory"} : std::vector<std::string>{"reference", "memory"}, !on_cuda);
  }
}

// The fused loss of the reference model: logits (N, 10) and int32 labels.
void add_cross_entropy(int64_t n) {
  const int64_t k = kRefClasses;
  for (bool backward : {false, true}) {
    OpSpec spec;
    spec.op = "cross_entropy";
    spec.pass = backward ? "bwd" : "fwd";
    spec.shape = batch_label(n);
    spec.unit = Unit::Byte;
    spec.work = backward ? 4.0 * (2 * n * k + n) : 4.0 * (n * k + 2 * n);
    spec.tol = 1e-5;  // a 10-term log-sum-exp per row in float32
    spec.inputs = [n, k] { return std::vector<Tensor>{random_tensor({n, k}, 45), random_labels(n, int(k), 46)}; };
    spec.bind = [n, k, backward](const std::vector<Tensor>& in, Algo) {
      const CrossEntropyParams p{n, k};
      const Device dev = in[0].device();
      const bool cpu = dev.is_cpu();
      Tensor loss = Tensor::empty({n}, DType::f32, dev), stats = Tensor::empty({n, 2}, DType::f32, dev);
      Tensor dlogits = Tensor::empty({n, k}, DType::f32, dev);
      Tensor dloss = Tensor::scalar(1.0, DType::f32, dev);
      auto forward = [=] {
        if (cpu) return cpu::cross_entropy_forward(loss, stats, in[0], in[1], p);
#ifdef CUDANET_WITH_CUDA
        cuda::cross_entropy_forward(loss, stats, in[0], in[1], p);
#endif
      };
      if (!backward) return Bound{forward, {loss}};
      forward();
      auto run = [=] {
        if (cpu) return cpu::cross_entropy_backward(dlogits, in[0], in[1], stats, dloss, p);
#ifdef CUDANET_WITH_CUDA
        cuda::cross_entropy_backward(dlogits, in[0], in[1], stats, dloss, p);
#endif
      };
      return Bound{run, {dlogits}};
    };
    add_op_cases(spec, {Algo::Native}, {"reference", "layers"});
  }
}

// One fused Adam step over `shapes` (the optimizer's own step(), as training
// calls it). Inputs: the parameters, then their gradients.
void add_adam(const std::string& shape_name, const std::vector<Shape>& shapes, bool cuda, bool cpu,
              const std::vector<std::string>& tags) {
  int64_t total = 0;
  for (const Shape& s : shapes) total += s.numel();
  OpSpec spec;
  spec.op = "adam";
  spec.pass = "step";
  spec.shape = shape_name;
  spec.unit = Unit::Byte;
  spec.work = 4.0 * total * 7;  // reads x, g, m, v; writes x, m, v
  spec.tol = 1e-5;              // one step of float32 arithmetic per element
  spec.inputs = [shapes] {
    std::vector<Tensor> in;
    for (size_t i = 0; i < shapes.size(); ++i) in.push_back(random_tensor(shapes[i], 50 + i));
    for (size_t i = 0; i < shapes.size(); ++i) in.push_back(random_tensor(shapes[i], 70 + i));
    return in;
  };
  spec.bind = [count = shapes.size()](const std::vector<Tensor>& in, Algo) {
    std::vector<Tensor> params;
    for (size_t i = 0; i < count; ++i) {
      Tensor p = in[i].clone();
      p.set_requires_grad(true);
      p.set_grad(in[count + i].clone());
      params.push_back(p);
    }
    std::shared_ptr<Optimizer> opt = make_optimizer("adam", params);
    return Bound{[opt] { opt->step(); }, params};
  };
  add_op_cases(spec, cuda ? std::vector<Algo>{Algo::Native} : std::vector<Algo>{}, tags, cpu);
}

std::vector<Shape> reference_parameter_shapes() {
  std::vector<Shape> s;
  for (const ConvShape& c : kRefConvs) {
    s.push_back({c.o, c.c, c.k, c.k});
    s.push_back({c.o});
  }
  for (const DenseShape& d : kRefDenses) {
    s.push_back({d.out, d.in});
    s.push_back({d.out});
  }
  return s;
}

}  // namespace

void register_memory_cases() {
  add_relu(kCudaElems, mega(kCudaElems), true, false, {"reference", "memory"}, {"memory"});
  add_relu(kCpuElems, mega(kCpuElems), false, true, {}, {});
  // The reference model's activations after each convolution.
  for (int n : kRefBatches)
    for (const ConvShape& c : kRefConvs)
      add_relu(n * c.o * c.oh() * c.ow(), batch_label(n, c.name), true, true, {"layers"}, {"layers"});
  add_softmax(1 << 16, 1024, true);
  add_softmax(1 << 15, 1024, false);
  for (int n : kRefBatches) add_cross_entropy(n);
  add_adam("ref", reference_parameter_shapes(), true, true, {"reference", "layers"});
  add_adam(mega(kCudaElems / 4), {{kCudaElems / 4}}, true, false, {"memory"});
  add_adam(mega(kCpuElems / 4), {{kCpuElems / 4}}, false, true, {});
}

}  // namespace cudanet::bench
