#pragma once
// What one epoch of fit() measured: the history fit() returns, the on_epoch_end
// hook's argument, and what the plot draws.

namespace cudanet {

struct EpochStats {
  int epoch = 0;  // 1-based
  double loss = 0, accuracy = 0;
  double val_loss = 0, val_accuracy = 0;
  bool has_val = false;
  double seconds = 0;
  double images_per_second = 0;
  double lr = 0;  // the learning rate of the epoch's last step
};

}  // namespace cudanet
