#pragma once
// ONNX export: a model description and its trained weights as a standard ONNX
// graph (opset kOnnxOpset, IR version kOnnxIrVersion), built with the onnx
// package's protobuf classes, checked by onnx's checker and strict shape
// inference, and written atomically.
//
// The graph:
//   input   "pixels"         float32 (N, C, H, W): raw pixel values 0..255, as in
//                            the IDX files; N is symbolic
//   scaling                  x = pixels * float(1/255), then, for a standardised
//                            model, (x - mean) * float(1/std): the arithmetic of
//                            cudanet-train's own input scaling, in float32
//   layers                   one node per layer of the description, named
//                            "<index>.<token>" ("0.conv32x3"); its weights are
//                            initializers under the names Module::named_parameters
//                            and named_buffers give ("0.weight", "3.running_var")
//   output  "logits"         float32 (N, K): the last layer's output
//   output  "probabilities"  float32 (N, K): Softmax of the logits over the classes
//
// Layer by layer: Conv (pads, strides), MaxPool, AveragePool
// (count_include_pad=1: cudanet's average divides by the whole window, padding
// included), Relu, LeakyRelu (alpha), Sigmoid, Tanh, Flatten (axis 1), Gemm
// (transB=1: Dense keeps W as (out, in)), BatchNormalization (inference: the
// running statistics, BatchNormParams' epsilon) and Identity for Dropout (the
// identity at inference).
//
// It sits in train/ (not io/, with the tensor-only formats) because a graph is
// more than its tensors: it reads the model's structure from layers/model_spec.h,
// which io/ does not depend on.
// Declared only in a build that found ONNX (CUDANET_WITH_ONNX, libonnx-dev).
#include <string>

#include "core/tensor.h"
#include "layers/model_spec.h"

namespace cudanet {

constexpr int kOnnxOpset = 17;      // the newest opset libonnx 1.12 knows; onnxruntime runs it
constexpr int kOnnxIrVersion = 8;   // the IR version of that opset

// The standardisation the model was trained with, of pixels already scaled to
// [0, 1] (train/checkpoint.h's InputScaling); mean 0 and stddev 1 add no nodes.
struct OnnxInputScaling {
  float mean = 0.0f, stddev = 1.0f;
  bool standardized() const { return mean != 0.0f || stddev != 1.0f; }
};

#ifdef CUDANET_WITH_ONNX
// The serialized ModelProto of `spec` with the weights `weights` ("0.weight",
// ...; any device, float32). Throws Error naming the layer and tensor when a
// weight is missing or shaped otherwise than `spec` says, and when onnx's
// checker or shape inference refuses the graph.
std::string onnx_model_bytes(const ModelSpec& spec, const NamedTensors& weights, const OnnxInputScaling& input = {});
// onnx_model_bytes, written atomically to `path` (io/file_io.h).
void export_onnx(const std::string& path, const ModelSpec& spec, const NamedTensors& weights,
                 const OnnxInputScaling& input = {});
#endif

}  // namespace cudanet
