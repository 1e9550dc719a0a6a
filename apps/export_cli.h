#pragma once
// cudanet-train export: a checkpoint's model as a standard ONNX graph
// (train/onnx_export.h says what the graph holds).
#include <string>

namespace cudanet::app {

struct ExportArgs {
  std::string checkpoint, onnx;
};

// Writes a.onnx; a build without ONNX (libonnx-dev) refuses in one line.
int run_export(const ExportArgs& a);

}  // namespace cudanet::app
