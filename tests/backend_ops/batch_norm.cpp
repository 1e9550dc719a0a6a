// batch_norm cases: training (batch statistics, running buffers updated in
// place) and evaluation (running statistics), forward and the three
// gradients, with every algorithm.
#include "backend_ops.h"

using namespace cudanet;
using namespace cudanet::test::backend_ops;

CUDANET_BACKEND_OPS(batch_norm) {
  // Three values per channel at least: with two, training maps them to about
  // +-1 whatever they are and dx is rounding noise. Batch 1 with a plane,
  // 1x1 planes, odd planes, and a channel longer than the 512-thread block.
  const std::vector<Shape> shapes = {{3, 1},       {7, 3},       {64, 64}, {1, 3, 5, 7}, {3, 17, 1, 1},
                                     {2, 3, 5, 7}, {128, 5, 3, 3}, {8, 16, 13, 13}};
  // The native kernels sum in double like the CPU; cuDNN (on a GPU) may sum
  // float32 over the n*h*w values of a channel, about 1e-6 relative on a mean
  // near 3, which shifts a whole channel of y alike. dx adds the cancellation
  // of dy - mean(dy) - x_hat * mean(dy * x_hat), and dgamma sums dy * x_hat.
  struct Tols {
    double y, running, dx, dgamma, dbeta;
  };
  const Tols f32{2e-5, 1e-5, 1e-4, 1e-4, 1e-5}, f64{1e-12, 1e-12, 1e-12, 1e-12, 1e-12};
  std::vector<Case> cases;
  auto add = [&](const Shape& s, bool training, DType dt) {
    const Tols& t = dt == DType::f32 ? f32 : f64;
    std::vector<Output> outputs = {{"y", t.y}, {"dx", t.dx}, {"dgamma", t.dgamma}, {"dbeta", t.dbeta}};
    if (training) outputs.insert(outputs.end(), {{"running_mean", t.running}, {"running_var", t.running}});
    cases.push_back({.entry = "batch_norm",
                     .name = s.str() + (training ? " training" : " eval") + (dt == DType::f64 ? " float64" : ""),
                     .algos = {Algo::Native, Algo::Cudnn, Algo::Auto},
                     .outputs = outputs,
                     .run = [s, training, dt](Inputs& in, Algo algo) -> std::vector<Tensor> {
                       const int64_t c = s[1];
                       // A mean far from zero checks the variance is not taken as E[x^2] - E[x]^2.
                       Tensor x = in.leaf(in.normal(s, dt, 3.0));
                       Tensor gamma = in.leaf(in.uniform({c}, 0.5, 1.5, dt)), beta = in.leaf(in.normal({c}, dt));
                       Tensor rm = in.normal({c}, dt), rv = in.uniform({c}, 0.5, 2.0, dt);
                       BatchNormParams p;
                       p.training = training;
                       p.algo = algo;
                       Tensor y = batch_norm(x, gamma, beta, rm, rv, p);
                       in.backward(y);
                       std::vector<Tensor> out = {y, x.grad(), gamma.grad(), beta.grad()};
                       if (training) out.insert(out.end(), {rm, rv});
                       return out;
                     }});
  };
  for (const Shape& s : shapes)
    for (bool training : {true, false}) add(s, training, DType::f32);
  add({6, 5, 7, 3}, true, DType::f64);
  add({6, 5, 7, 3}, false, DType::f64);
  return cases;
}
