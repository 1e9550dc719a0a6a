#include "layers/zoo.h"

#include "layers/layers.h"
#include "layers/model_spec.h"

namespace cudanet {

namespace {

// The module a checked LayerSpec describes; initialisation draws from `gen` in
// the order of the description.
std::unique_ptr<Module> make_layer(const LayerSpec& l, Generator& gen) {
  switch (l.kind) {
    case LayerKind::Conv: return std::make_unique<Conv2d>(l.in, l.out, l.kernel, l.stride, l.padding, true, gen);
    case LayerKind::MaxPool: return std::make_unique<Pool2d>(PoolMode::Max, l.kernel, l.stride, l.padding);
    case LayerKind::AvgPool: return std::make_unique<Pool2d>(PoolMode::Avg, l.kernel, l.stride, l.padding);
    case LayerKind::Dense: return std::make_unique<Dense>(l.in, l.out, true, gen);
    // Dropout draws from the training RNG (default_generator, saved in checkpoints),
    // not from the initialisation generator.
    case LayerKind::Dropout: return std::make_unique<Dropout>(l.value);
    case LayerKind::Relu: return std::make_unique<ReLU>();
    case LayerKind::LeakyRelu: return std::make_unique<LeakyReLU>(l.value);
    case LayerKind::Sigmoid: return std::make_unique<Sigmoid>();
    case LayerKind::Tanh: return std::make_unique<Tanh>();
    case LayerKind::Flatten: return std::make_unique<Flatten>();
    case LayerKind::BatchNorm: return std::make_unique<BatchNorm2d>(l.in);
  }
  CUDANET_FAIL("unhandled layer kind for '", l.token, "'");
}

std::unique_ptr<Sequential> build(const ModelSpec& spec, Generator& gen) {
  auto model = std::make_unique<Sequential>();
  Shape shape = spec.input;
  for (const LayerSpec& l : spec.layers) {
    auto layer = make_layer(l, gen);
    shape = layer->output_shape(shape);
    CUDANET_CHECK(shape == l.output, "layer '", l.token, "' produces ", shape.str(), ", planned ", l.output.str());
    model->add(std::move(layer));
  }
  return model;
}

}  // namespace

std::string model_description(const std::string& s) {
  if (s == "seed-cnn" || s == "seed_cnn") return kSeedCnn;
  if (s == "lenet5") return kLenet5;
  if (s == "mlp") return kMlp;
  return s;
}

std::unique_ptr<Sequential> build_model(const std::string& name_or_description, const Shape& input, Generator& gen) {
  return build(plan_model(model_description(name_or_description), input), gen);
}

std::unique_ptr<Sequential> build_classifier(const std::string& name_or_description, const Shape& input,
                                             int num_classes, Generator& gen) {
  const ModelSpec spec = plan_model(model_description(name_or_description), input);
  require_class_logits(spec, num_classes);
  return build(spec, gen);
}

std::unique_ptr<Sequential> seed_cnn(Generator& gen) { return build_model(kSeedCnn, Shape{1, 28, 28}, gen); }
std::unique_ptr<Sequential> lenet5(Generator& gen) { return build_model(kLenet5, Shape{1, 28, 28}, gen); }
std::unique_ptr<Sequential> mlp(Generator& gen) { return build_model(kMlp, Shape{1, 28, 28}, gen); }

}  // namespace cudanet
