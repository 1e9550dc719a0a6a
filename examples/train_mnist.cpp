// Trains the Keras MNIST CNN for one epoch on a folder of MNIST-style IDX files
// and saves a checkpoint: the whole of cudanet's embedding API in one screen.
//   train_mnist DATA_DIR CHECKPOINT [LIMIT]
#include <cudanet/cudanet.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

int main(int argc, char** argv) {
  using namespace cudanet;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DATA_DIR CHECKPOINT [LIMIT]\n", argv[0]);
    return 2;
  }
  try {
    MnistOptions data_options;
    data_options.limit = argc > 3 ? std::atoll(argv[3]) : 0;
    TrainValSplit data = split_last(load_mnist(argv[1], data_options), 0.1);

    const Device device = Device::parse("auto");  // the GPU when there is one
    auto model = std::make_unique<Sequential>();
    model->emplace<Conv2d>(1, 32, 3).emplace<ReLU>().emplace<MaxPool2d>(2);
    model->emplace<Conv2d>(32, 64, 3).emplace<ReLU>().emplace<MaxPool2d>(2);
    model->emplace<Conv2d>(64, 64, 3).emplace<ReLU>().emplace<Flatten>();
    model->emplace<Dense>(576, 64).emplace<ReLU>().emplace<Dense>(64, 10);
    model->to(device);

    auto optimizer = make_optimizer("adam", model->parameters());
    FitOptions options;
    options.epochs = 1;
    options.on_epoch_end = [](const EpochStats& s) {
      std::printf("epoch %d: loss %.4f accuracy %.4f val_accuracy %.4f\n", s.epoch, s.loss, s.accuracy,
                  s.val_accuracy);
    };
    // Keras's callbacks: stop when val_loss stalls for 2 epochs, ending on the best weights.
    EarlyStoppingOptions stopping;
    stopping.patience = 2;
    stopping.restore_best_weights = true;
    options.callbacks.push_back(std::make_shared<EarlyStopping>(stopping));
    fit(*model, *optimizer, make_loss("cross_entropy"), data.train, data.val, options);

    CheckpointInfo info;
    info.model = model->name();
    info.optimizer = optimizer->name();
    save_checkpoint(argv[2], *model, optimizer.get(), info);
    std::printf("saved %s (%lld parameters) on %s\n", argv[2], static_cast<long long>(model->num_parameters()),
                device.str().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_mnist: %s\n", e.what());
    return 1;
  }
  return 0;
}
