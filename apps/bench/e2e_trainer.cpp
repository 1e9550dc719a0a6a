#include "apps/bench/e2e_trainer.h"

#include "apps/bench/reference_model.h"
#include "core/ops.h"
#include "core/random.h"
#include "io/mnist.h"
#include "layers/zoo.h"

namespace cudanet::bench {

namespace {
constexpr uint64_t kInitSeed = 1234;
}  // namespace

Dataset e2e_batches(int batch, const Options& opts, uint64_t seed) {
  const int64_t n = int64_t{kDataBatches} * batch;
  if (opts.data.empty()) return {random_tensor({n, 1, 28, 28}, seed), random_labels(n, kRefClasses, seed + 1)};
  MnistOptions mo;
  mo.limit = n;
  Dataset d = load_mnist(opts.data, mo);
  CUDANET_CHECK(d.size() == n, "--data ", opts.data, ": ", d.size(), " training images, the end-to-end case at batch ",
                batch, " needs ", n, " (", kDataBatches, " batches)");
  CUDANET_CHECK(d.images.size(2) == 28 && d.images.size(3) == 28 && d.images.size(1) == 1, "--data ", opts.data,
                ": images of shape ", d.images.shape().str(), ", the reference model needs (1, 28, 28)");
  return d;
}

Trainer::Trainer(Device dev, int batch_size, const Dataset& data) : batch(batch_size) {
  Generator gen(kInitSeed);
  model = seed_cnn(gen);
  model->to(dev);
  opt = make_optimizer("adam", model->parameters());
  images = data.images.to(dev);
  labels = data.labels.to(dev);
}

Tensor Trainer::step(const std::function<void()>& after_backward) {
  const int64_t b = next++ % kDataBatches;
  const Tensor x = rows_view(images, b * batch, (b + 1) * batch);
  const Tensor y = rows_view(labels, b * batch, (b + 1) * batch);
  opt->zero_grad();
  Tensor loss = cross_entropy((*model)(x), y);
  loss.backward();
  if (after_backward) after_backward();
  opt->step();
  return loss;
}

}  // namespace cudanet::bench
