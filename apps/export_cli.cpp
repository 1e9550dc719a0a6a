// cudanet-train export: reads a checkpoint as eval and predict do (its model,
// weights and input scaling, every defect named), then writes the ONNX graph.
#include "apps/export_cli.h"

#include <cstdio>

#include "core/error.h"
#include "io/file_io.h"
#include "train/onnx_export.h"
#include "layers/zoo.h"
#include "train/checkpoint.h"

namespace cudanet::app {

#ifdef CUDANET_WITH_ONNX

int run_export(const ExportArgs& a) {
  // Checked before the checkpoint is read, as train checks --save.
  const std::string why = atomic_write_problem(a.onnx);
  CUDANET_CHECK(why.empty(), "--onnx ", a.onnx, ": cannot write: ", why);
  const Checkpoint ckpt = read_checkpoint(a.checkpoint);
  const CheckpointInfo& c = ckpt.info;
  CUDANET_CHECK(c.input_shape.ndim() == 3, "checkpoint ", a.checkpoint,
                " does not record the image shape its model was trained on (it predates that field), which the "
                "ONNX graph's input needs; train or resume it with this cudanet to record it");
  const ModelSpec spec = plan_model(model_description(c.model), c.input_shape);
  require_class_logits(spec, c.num_classes);
  // restore_model checks the names, shapes and finiteness of the weights, as for predict.
  auto model = build_classifier(c.model, c.input_shape, c.num_classes);
  restore_model(*model, ckpt, a.checkpoint);
  NamedTensors weights = model->named_parameters();
  for (auto& nt : model->named_buffers()) weights.push_back(nt);
  const OnnxInputScaling scaling{c.input.mean, c.input.stddev};
  export_onnx(a.onnx, spec, weights, scaling);

  std::string scaled = "x / 255";
  if (scaling.standardized()) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ", then (x - %.4f) / %.4f", scaling.mean, scaling.stddev);
    scaled += buf;
  }
  const std::string chw = spec.input.str().substr(1);  // "1, 28, 28)"
  std::printf("wrote %s: ONNX opset %d, model %s; input 'pixels' (N, %s of raw values 0..255, scaled in the graph "
              "as in training (%s); outputs 'logits' and 'probabilities' (N, %d)\n",
              a.onnx.c_str(), kOnnxOpset, c.model.c_str(), chw.c_str(), scaled.c_str(), c.num_classes);
  return 0;
}

#else

int run_export(const ExportArgs&) {
  throw Error(
      "export: this cudanet-train was built without ONNX (install libonnx-dev and libprotobuf-dev, "
      "then configure and build again)");
}

#endif

}  // namespace cudanet::app
