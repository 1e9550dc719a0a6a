// ONNX export (train/onnx_export.h): the graph built with onnx's protobuf classes.
// Compiled only in a build that found libonnx-dev (CMakeLists.txt).
#include "train/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <bit>
#include <climits>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/version.h"
#include "io/file_io.h"

namespace cudanet {

namespace {

namespace onnx = ONNX_NAMESPACE;

constexpr const char* kInput = "pixels";
constexpr const char* kLogits = "logits";
constexpr const char* kProbabilities = "probabilities";

std::string layer_name(size_t index, const LayerSpec& l) { return std::to_string(index) + "." + l.token; }

// Adds nodes and initializers to one graph; a layer finds its weights by name.
class GraphBuilder {
 public:
  GraphBuilder(onnx::GraphProto& g, const NamedTensors& weights) : g_(g) {
    for (const auto& [name, t] : weights) weights_.emplace(name, t);
  }

  onnx::NodeProto& node(const char* op, const std::string& name, std::vector<std::string> inputs,
                        const std::string& output) {
    onnx::NodeProto& n = *g_.add_node();
    n.set_op_type(op);
    n.set_name(name);
    for (const std::string& in : inputs) n.add_input(in);
    n.add_output(output);
    return n;
  }

  // A float32 initializer: a scalar when `shape` has no dimensions.
  void constant(const std::string& name, const Shape& shape, const float* data) {
    onnx::TensorProto& t = *g_.add_initializer();
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (int i = 0; i < shape.ndim(); ++i) t.add_dims(shape[i]);
    static_assert(std::endian::native == std::endian::little, "ONNX's raw_data is little-endian");
    t.set_raw_data(reinterpret_cast<const char*>(data), static_cast<size_t>(shape.numel()) * sizeof(float));
  }

  // The weight `name` ("3.bias") as an initializer, after checking its shape
  // against the one the layer needs.
  std::string weight(const std::string& name, const Shape& shape, const std::string& layer) {
    const auto it = weights_.find(name);
    CUDANET_CHECK(it != weights_.end(), "ONNX export: layer ", layer, " needs the tensor '", name,
                  "', which the weights do not hold");
    Tensor t = it->second.to(Device::cpu());
    if (t.dtype() != DType::f32) t = t.to(DType::f32);
    CUDANET_CHECK(t.shape() == shape, "ONNX export: layer ", layer, ": '", name, "' is ", t.shape().str(),
                  ", the layer needs ", shape.str());
    constant(name, shape, t.data<float>());
    return name;
  }

 private:
  onnx::GraphProto& g_;
  std::map<std::string, Tensor> weights_;
};

template <class... T>
void ints(onnx::NodeProto& n, const char* name, T... values) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  (a.add_ints(values), ...);
}
void set_int(onnx::NodeProto& n, const char* name, int64_t v) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
}
void set_float(onnx::NodeProto& n, const char* name, float v) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(v);
}
void window(onnx::NodeProto& n, const LayerSpec& l) {
  ints(n, "kernel_shape", l.kernel, l.kernel);
  ints(n, "strides", l.stride, l.stride);
  ints(n, "pads", l.padding, l.padding, l.padding, l.padding);  // top, left, bottom, right
}

// A float32 tensor (N, dims...) with N symbolic.
void declare(onnx::ValueInfoProto& v, const std::string& name, const Shape& per_sample) {
  v.set_name(name);
  onnx::TypeProto_Tensor& t = *v.mutable_type()->mutable_tensor_type();
  t.set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto& s = *t.mutable_shape();
  s.add_dim()->set_dim_param("N");
  for (int i = 0; i < per_sample.ndim(); ++i) s.add_dim()->set_dim_value(per_sample[i]);
}

// Adds layer `index`'s node reading `x`, writing `y`.
void add_layer(GraphBuilder& b, size_t index, const LayerSpec& l, const std::string& x, const std::string& y) {
  const std::string name = layer_name(index, l);
  const std::string prefix = std::to_string(index) + ".";
  switch (l.kind) {
    case LayerKind::Conv: {
      onnx::NodeProto& n = b.node("Conv", name,
                                  {x, b.weight(prefix + "weight", Shape{l.out, l.in, l.kernel, l.kernel}, name),
                                   b.weight(prefix + "bias", Shape{l.out}, name)},
                                  y);
      window(n, l);
      ints(n, "dilations", 1, 1);
      set_int(n, "group", 1);
      return;
    }
    case LayerKind::MaxPool:
    case LayerKind::AvgPool: {
      // core's pool2d refuses windows of padding alone; so does onnxruntime.
      CUDANET_CHECK(l.padding <= l.kernel / 2, "ONNX export: layer ", name, ": padding ", l.padding,
                    " exceeds half the window ", l.kernel);
      const bool max = l.kind == LayerKind::MaxPool;
      onnx::NodeProto& n = b.node(max ? "MaxPool" : "AveragePool", name, {x}, y);
      window(n, l);
      if (!max) set_int(n, "count_include_pad", 1);
      return;
    }
    case LayerKind::Dense: {
      onnx::NodeProto& n = b.node("Gemm", name,
                                  {x, b.weight(prefix + "weight", Shape{l.out, l.in}, name),
                                   b.weight(prefix + "bias", Shape{l.out}, name)},
                                  y);
      set_int(n, "transB", 1);  // y = x W^T + b, W (out, in)
      return;
    }
    case LayerKind::BatchNorm: {
      const Shape c{l.in};
      onnx::NodeProto& n =
          b.node("BatchNormalization", name,
                 {x, b.weight(prefix + "weight", c, name), b.weight(prefix + "bias", c, name),
                  b.weight(prefix + "running_mean", c, name), b.weight(prefix + "running_var", c, name)},
                 y);
      // The zoo builds BatchNorm2d(C), whose epsilon is BatchNormParams' default.
      set_float(n, "epsilon", static_cast<float>(BatchNormParams{}.eps));
      return;
    }
    case LayerKind::Relu: b.node("Relu", name, {x}, y); return;
    case LayerKind::LeakyRelu:
      set_float(b.node("LeakyRelu", name, {x}, y), "alpha", static_cast<float>(l.value));
      return;
    case LayerKind::Sigmoid: b.node("Sigmoid", name, {x}, y); return;
    case LayerKind::Tanh: b.node("Tanh", name, {x}, y); return;
    case LayerKind::Flatten: set_int(b.node("Flatten", name, {x}, y), "axis", 1); return;
    case LayerKind::Dropout: b.node("Identity", name, {x}, y); return;  // the identity at inference
  }
  CUDANET_FAIL("ONNX export: layer ", name, " has no ONNX translation");
}

onnx::ModelProto build(const ModelSpec& spec, const NamedTensors& weights, const OnnxInputScaling& input) {
  CUDANET_CHECK(!spec.layers.empty() && spec.output().ndim() == 1, "ONNX export: model '", spec.description,
                "' must end in class logits (K), but produces ",
                spec.layers.empty() ? spec.input.str() : spec.output().str());
  onnx::ModelProto m;
  m.set_ir_version(kOnnxIrVersion);
  m.set_producer_name("cudanet");
  m.set_producer_version(CUDANET_VERSION_STRING);
  m.set_doc_string("cudanet model " + spec.description +
                   ". Input 'pixels': float32 (N, C, H, W) raw pixel values 0..255; outputs 'logits' and "
                   "'probabilities' (softmax), float32 (N, K).");
  onnx::OperatorSetIdProto& opset = *m.add_opset_import();
  opset.set_domain("");
  opset.set_version(kOnnxOpset);
  onnx::StringStringEntryProto& model_prop = *m.add_metadata_props();
  model_prop.set_key("cudanet.model");
  model_prop.set_value(spec.description);

  onnx::GraphProto& g = *m.mutable_graph();
  g.set_name("cudanet");
  declare(*g.add_input(), kInput, spec.input);
  GraphBuilder b(g, weights);

  // The input scaling of cudanet-train's model_input: pixels * float(1/255), then
  // (x - mean) * float(1 / stddev), each a float32 operation.
  const float scale = 1.0f / 255.0f;
  b.constant("pixel_scale", Shape{}, &scale);
  b.node("Mul", "scale_pixels", {kInput, "pixel_scale"}, "scaled");
  std::string x = "scaled";
  if (input.standardized()) {
    const float mean = input.mean, inv = static_cast<float>(1.0 / input.stddev);
    b.constant("pixel_mean", Shape{}, &mean);
    b.constant("pixel_inv_std", Shape{}, &inv);
    b.node("Sub", "center_pixels", {x, "pixel_mean"}, "centered");
    b.node("Mul", "standardize_pixels", {"centered", "pixel_inv_std"}, "standardized");
    x = "standardized";
  }

  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const std::string y = i + 1 == spec.layers.size() ? std::string(kLogits) : layer_name(i, spec.layers[i]);
    add_layer(b, i, spec.layers[i], x, y);
    x = y;
  }
  onnx::NodeProto& softmax = b.node("Softmax", "softmax", {kLogits}, kProbabilities);
  set_int(softmax, "axis", 1);
  declare(*g.add_output(), kLogits, spec.output());
  declare(*g.add_output(), kProbabilities, spec.output());
  return m;
}

// onnx's checker, then strict shape inference, whose every layer's shape must be
// the one cudanet's planner gave it (so the attributes mean to onnx what the
// layers do in cudanet).
void check(const onnx::ModelProto& m, const ModelSpec& spec) {
  onnx::ModelProto inferred = m;
  try {
    onnx::checker::check_model(m);
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict_mode=*/1));
  } catch (const std::exception& e) {
    CUDANET_FAIL("ONNX export of model '", spec.description, "': onnx refused the graph: ", e.what());
  }
  // "(N, 32, 26, 26)": N where onnx has a symbol.
  auto text = [](const std::vector<int64_t>& dims) {
    std::string t = "(";
    for (size_t d = 0; d < dims.size(); ++d) t += (d ? ", " : "") + (dims[d] < 0 ? "N" : std::to_string(dims[d]));
    return t + ")";
  };
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const onnx::ValueInfoProto& v : inferred.graph().value_info()) {
    std::vector<int64_t>& dims = shapes[v.name()];
    for (const auto& d : v.type().tensor_type().shape().dim()) dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
  }
  for (size_t i = 0; i + 1 < spec.layers.size(); ++i) {
    const LayerSpec& l = spec.layers[i];
    std::vector<int64_t> want{-1};
    for (int d = 0; d < l.output.ndim(); ++d) want.push_back(l.output[d]);
    const auto it = shapes.find(layer_name(i, l));
    CUDANET_CHECK(it != shapes.end() && it->second == want, "ONNX export of model '", spec.description, "': layer ",
                  layer_name(i, l), " produces ", it == shapes.end() ? "no inferred shape" : text(it->second),
                  " in ONNX, ", text(want), " in cudanet");
  }
}

}  // namespace

std::string onnx_model_bytes(const ModelSpec& spec, const NamedTensors& weights, const OnnxInputScaling& input) {
  const onnx::ModelProto m = build(spec, weights, input);
  // One protobuf message holds at most 2 GiB; larger models would need ONNX's external data.
  CUDANET_CHECK(m.ByteSizeLong() <= static_cast<size_t>(INT_MAX), "ONNX export of model '", spec.description,
                "': ", m.ByteSizeLong(), " bytes exceed the 2 GiB an ONNX file holds without external data");
  check(m, spec);
  std::string bytes;
  CUDANET_CHECK(m.SerializeToString(&bytes), "ONNX export of model '", spec.description, "': serialization failed");
  return bytes;
}

void export_onnx(const std::string& path, const ModelSpec& spec, const NamedTensors& weights,
                 const OnnxInputScaling& input) {
  const std::string bytes = onnx_model_bytes(spec, weights, input);
  write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace cudanet
