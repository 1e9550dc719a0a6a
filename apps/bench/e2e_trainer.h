#pragma once
// The reference model training on resident batches, as the end-to-end cases
// run it (single-process and data-parallel): zero_grad, forward,
// cross-entropy, backward, Adam.
#include <functional>
#include <memory>

#include "apps/bench/bench.h"
#include "core/device.h"
#include "core/tensor.h"
#include "io/dataset.h"
#include "layers/sequential.h"
#include "optim/optimizer.h"

namespace cudanet::bench {

constexpr int kDataBatches = 8;  // distinct batches cycled through, all resident

// kDataBatches batches: the first images of opts.data, else synthetic
// normal(0, 1) images with uniform labels drawn from `seed`.
Dataset e2e_batches(int batch, const Options& opts, uint64_t seed = 91);

// The model, its optimizer and the batches on one device.
struct Trainer {
  std::unique_ptr<Sequential> model;
  std::unique_ptr<Optimizer> opt;
  Tensor images, labels;  // (kDataBatches * batch, 1, 28, 28), (kDataBatches * batch)
  int batch;
  int next = 0;

  Trainer(Device dev, int batch_size, const Dataset& data);
  // One training step; returns the loss (on the device, not read back).
  // `after_backward`, when given, runs between backward and the optimizer
  // step: where fit() reduces the gradients over the ranks.
  Tensor step(const std::function<void()>& after_backward = {});
};

}  // namespace cudanet::bench
