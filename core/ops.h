#pragma once
// Every op's device-independent entry point: checks shapes, dtypes and devices,
// allocates outputs, dispatches to the cpu:: or cuda:: implementation and, when
// a gradient is needed, records the backward node.
#include <cstdint>
#include <vector>

#include "core/algo.h"
#include "core/optim_step_params.h"
#include "core/pool2d_params.h"
#include "core/random.h"
#include "core/tensor.h"

namespace cudanet {

// ---------------------------------------------------------------- element-wise
Tensor add(const Tensor& a, const Tensor& b);  // same shape
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& x, double s);       // x * s
Tensor add_scalar(const Tensor& x, double s);  // x + s
Tensor neg(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double slope = 0.01);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);
// x (N, C, ...) or (N, C): adds bias (C) along dimension 1.
Tensor bias_add(const Tensor& x, const Tensor& bias);

// In place, never recorded by autograd (optimizers, gradient accumulation).
void add_(const Tensor& dst, const Tensor& src);                // dst += src
void axpy_(const Tensor& dst, const Tensor& src, double alpha);  // dst += alpha * src
void scale_(const Tensor& dst, double s);                        // dst *= s
void fill_(const Tensor& dst, double value);
Tensor cast(const Tensor& x, DType dtype);  // any dtype to any dtype

// ------------------------------------------------------------------ indexing
// x (N, ...) and index (M) int32 in [0, N) -> (M, ...): row i is x[index[i]].
// Any dtype; differentiable in x (repeated indices accumulate). An index out of
// range throws, naming it and its position (on CUDA the check costs a host sync).
Tensor index_select(const Tensor& x, const Tensor& index);
// The same into an existing `out` (M, ...), never recorded: the data loader's
// batch gather into buffers reused from step to step. check_range = false skips
// the CUDA check and its sync, for indices the caller made in range itself (the
// loader's permutation); an out-of-range one then gives a zero row. The CPU
// always checks.
void index_select_out(const Tensor& out, const Tensor& x, const Tensor& index, bool check_range = true);

// ------------------------------------------------------------------ reductions
Tensor sum(const Tensor& x);                                    // all elements -> shape ()
Tensor sum(const Tensor& x, int axis, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, int axis, bool keepdim = false);
Tensor max(const Tensor& x, int axis, bool keepdim = false);    // differentiable
Tensor argmax(const Tensor& x, int axis, bool keepdim = false);  // int32

// ---------------------------------------------------------------------- matmul
// a (M, K) or (K, M) when trans_a; b (K, N) or (N, K) when trans_b -> (M, N).
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false,
              Algo algo = Algo::Default);

// ------------------------------------------------------------------- nn: conv
struct Conv2dParams {
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  Algo algo = Algo::Default;
};
// x (N, C, H, W), w (O, C, KH, KW), b (O) or undefined -> (N, O, OH, OW).
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p);
// Padding that keeps H and W at stride 1 ("same"); an odd kernel is assumed.
inline int same_padding(int kernel) { return (kernel - 1) / 2; }

// ------------------------------------------------------------------- nn: pool
// Pool2dParams and PoolMode: core/pool2d_params.h.
// x (N, C, H, W) -> (N, C, OH, OW). Average pooling counts padded zeros (PyTorch's
// count_include_pad=True default); max pooling keeps the argmax for backward.
Tensor pool2d(const Tensor& x, const Pool2dParams& p);
Tensor max_pool2d(const Tensor& x, int kernel, int stride = -1, int pad = 0, Algo algo = Algo::Default);
Tensor avg_pool2d(const Tensor& x, int kernel, int stride = -1, int pad = 0, Algo algo = Algo::Default);

// --------------------------------------------------------- nn: softmax family
// Over the last axis of a 2-D tensor (N, K).
Tensor softmax(const Tensor& x, Algo algo = Algo::Default);
Tensor log_softmax(const Tensor& x, Algo algo = Algo::Default);

// --------------------------------------------------------------- nn: dropout
// Training: zeroes each element with probability p and scales the rest by 1/(1-p);
// the mask is drawn from `gen` with the same bits on CPU and CUDA. Eval: identity.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen = default_generator());

// ----------------------------------------------------------- nn: batch norm
struct BatchNormParams {
  double momentum = 0.1;  // running = (1 - momentum) * running + momentum * batch (PyTorch)
  double eps = 1e-5;
  bool training = true;
  Algo algo = Algo::Default;
};
// x (N, C, H, W) or (N, C); gamma, beta, running_mean, running_var (C). In
// training, uses batch statistics and updates the running buffers in place.
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                  const Tensor& running_var, const BatchNormParams& p);

// ----------------------------------------------------------------- losses
// logits (N, K) float, labels (N) int32 in [0, K): mean over the batch of
// -sum_j target[j] log softmax(logits)[j], target = (1 - label_smoothing)
// onehot(label) + label_smoothing / K (Keras's and PyTorch's label_smoothing;
// 0: -log softmax(logits)[label]). Fused log-softmax + NLL. label_smoothing
// must lie in [0, 1].
// A label outside [0, K): on the CPU, throws naming the row, the label and K.
// On CUDA a check would cost a host sync inside the training step, so instead
// that row's loss is NaN (and so the mean), its gradient row is NaN, and a
// device-side flag records the row for check_label_flag. Validate labels up
// front with check_labels.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels, double label_smoothing = 0);
// Throws unless every label (N) int32 lies in [0, num_classes), naming the first
// bad row and its label. Synchronises on CUDA: for data loaders, once up front.
void check_labels(const Tensor& labels, int64_t num_classes);
// Throws, naming the row, the label and K, if a cross_entropy on `device` has
// met a bad label since the last call, and clears the flag. Synchronises on
// CUDA: call it where the loss is read back anyway. Nothing to do on the CPU.
void check_label_flag(Device device);
// mean((pred - target)^2) over all elements.
Tensor mse_loss(const Tensor& pred, const Tensor& target);
// labels (N) int32 in [0, num_classes) -> (N, num_classes) of a floating
// dtype: 1 at each row's label, 0 elsewhere; not differentiable. A label out
// of range is treated as cross_entropy treats it: the CPU throws naming the
// row; CUDA makes that row NaN and raises the flag check_label_flag reads.
Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype = DType::f32);

// ----------------------------------------------------------------- metrics
// cm (K, K) int32 [true, predicted] += counts of argmax(logits (N, K)) against
// labels (N), on the logits' device; labels outside [0, K) are not counted.
void confusion_update_(const Tensor& cm, const Tensor& logits, const Tensor& labels);
// counts (K,) int32 [r] += the samples whose label's logit has r logits above it
// (ties do not count; a NaN label logit ranks last): top-k accuracy for every k.
void label_rank_update_(const Tensor& counts, const Tensor& logits, const Tensor& labels);

// ------------------------------------------------------------ optimizer ops
// In place, never recorded: the ops behind optim/ (Optimizer::step, clip_grad_norm_).

// What optim_step_ keeps between calls, one per optimizer: the device copy of
// the per-tensor descriptors one launch reads, uploaded again only when the
// set of gradient buffers changes.
struct OptimStepCache {
  std::vector<uint8_t> descs;  // the bytes last uploaded
  Tensor on_device;            // their copy: uint8 on the parameters' device
};
// One fused update of every parameter in `params` that has a gradient (one
// launch on CUDA), with its state: state[k][i] is slot k of params[i], state[k]
// empty for a slot p.kind does not use (core/optim_step_params.h). Parameters,
// gradients and state share one dtype (p.dtype is taken from them) and one
// device. On CUDA nothing allocates and the host never waits, except when the
// descriptors change (the upload waits for its copy). `who` names the
// optimizer in errors.
void optim_step_(const std::vector<Tensor>& params, const std::vector<std::vector<Tensor>>& state,
                 const OptimStepParams& p, OptimStepCache& cache, const char* who);

// Scales every tensor of `grads` in place by min(1, max_norm / (norm + 1e-6)),
// norm = the L2 norm of all their elements together, and returns that norm
// (before scaling) as a shape () tensor of their dtype on their device. One
// floating dtype, one device, at least one tensor (empty ones are allowed). On
// CUDA nothing is read back and the host never waits: the scaling kernel reads
// the norm from device memory. max_norm must be finite and > 0.
Tensor clip_by_global_norm_(const std::vector<Tensor>& grads, double max_norm);

}  // namespace cudanet
