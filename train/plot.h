#pragma once
// An SVG of the training curves (loss and accuracy, train and validation) that
// a browser shows without any script or external resource.
#include <string>
#include <vector>

namespace cudanet {

struct EpochStats {
  int epoch = 0;  // 1-based
  double loss = 0, accuracy = 0;
  double val_loss = 0, val_accuracy = 0;
  bool has_val = false;
  double seconds = 0;
  double images_per_second = 0;
};

// Returns the SVG document; write_training_plot writes it atomically.
std::string training_plot_svg(const std::vector<EpochStats>& history, const std::string& title);
void write_training_plot(const std::string& path, const std::vector<EpochStats>& history, const std::string& title);

}  // namespace cudanet
