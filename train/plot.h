#pragma once
// An SVG of the training curves (loss and accuracy, train and validation) that
// a browser shows without any script or external resource.
#include <string>
#include <vector>

#include "train/epoch_stats.h"

namespace cudanet {

// Returns the SVG document; write_training_plot writes it atomically.
std::string training_plot_svg(const std::vector<EpochStats>& history, const std::string& title);
void write_training_plot(const std::string& path, const std::vector<EpochStats>& history, const std::string& title);

}  // namespace cudanet
