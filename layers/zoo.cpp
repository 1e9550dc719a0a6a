// GCC 12 reports a false -Wrestrict inside std::regex/std::string (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#include "layers/zoo.h"

#include <cstdlib>
#include <regex>

#include "layers/layers.h"

namespace cudanet {

namespace {

int parse_int(const std::string& s) { return static_cast<int>(std::strtol(s.c_str(), nullptr, 10)); }

// Builds one layer for the current shape (C, H, W) or (F) and advances the shape.
std::unique_ptr<Module> make_layer(const std::string& tok, const Shape& in, Generator& gen) {
  static const std::regex conv(R"(conv(\d+)x(\d+)(?:s(\d+))?(?:p(\d+)|(same))?)");
  static const std::regex pool(R"((max|avg)?pool(\d+)(?:s(\d+))?(?:p(\d+))?)");
  static const std::regex dense(R"(dense(\d+))");
  static const std::regex drop(R"(dropout(0?\.\d+|0))");
  static const std::regex leaky(R"(leakyrelu(\d*\.?\d+)?)");
  std::smatch m;
  auto need_chw = [&](const char* what) {
    CUDANET_CHECK(in.ndim() == 3, "'", tok, "': ", what, " needs an input (C, H, W), but the previous layers produce ",
                  in.str());
  };
  if (std::regex_match(tok, m, conv)) {
    need_chw("a convolution");
    const int k = parse_int(m[2]);
    const int stride = m[3].matched ? parse_int(m[3]) : 1;
    CUDANET_CHECK(!(m[5].matched && k % 2 == 0), "'", tok, "': 'same' padding needs an odd kernel");
    const int pad = m[4].matched ? parse_int(m[4]) : (m[5].matched ? same_padding(k) : 0);
    return std::make_unique<Conv2d>(static_cast<int>(in[0]), parse_int(m[1]), k, stride, pad, true, gen);
  }
  if (std::regex_match(tok, m, pool)) {
    need_chw("pooling");
    const PoolMode mode = m[1].matched && m[1] == "avg" ? PoolMode::Avg : PoolMode::Max;
    const int k = parse_int(m[2]);
    return std::make_unique<Pool2d>(mode, k, m[3].matched ? parse_int(m[3]) : k, m[4].matched ? parse_int(m[4]) : 0);
  }
  if (std::regex_match(tok, m, dense)) {
    CUDANET_CHECK(in.ndim() == 1, "'", tok, "': dense needs a flat input (F), but the previous layers produce ",
                  in.str(), "; add 'flatten' before it");
    return std::make_unique<Dense>(static_cast<int>(in[0]), parse_int(m[1]), true, gen);
  }
  // Dropout draws from the training RNG (default_generator, saved in checkpoints),
  // not from the initialisation generator.
  if (std::regex_match(tok, m, drop)) return std::make_unique<Dropout>(std::strtod(m[1].str().c_str(), nullptr));
  if (std::regex_match(tok, m, leaky))
    return std::make_unique<LeakyReLU>(m[1].matched ? std::strtod(m[1].str().c_str(), nullptr) : 0.01);
  if (tok == "relu") return std::make_unique<ReLU>();
  if (tok == "sigmoid") return std::make_unique<Sigmoid>();
  if (tok == "tanh") return std::make_unique<Tanh>();
  if (tok == "flatten") return std::make_unique<Flatten>();
  if (tok == "bn") {
    CUDANET_CHECK(in.ndim() >= 1, "'bn' needs a channel dimension");
    return std::make_unique<BatchNorm2d>(static_cast<int>(in[0]));
  }
  CUDANET_FAIL("unknown layer '", tok,
               "' (expected conv<OUT>x<K>[s<S>][p<P>|same], [max|avg]pool<K>[s<S>], dense<N>, relu, leakyrelu, "
               "sigmoid, tanh, flatten, dropout<P> or bn)");
}

}  // namespace

std::string model_description(const std::string& s) {
  if (s == "seed-cnn" || s == "seed_cnn") return kSeedCnn;
  if (s == "lenet5") return kLenet5;
  if (s == "mlp") return kMlp;
  return s;
}

std::unique_ptr<Sequential> build_model(const std::string& name_or_description, const Shape& input, Generator& gen) {
  const std::string desc = model_description(name_or_description);
  CUDANET_CHECK(!desc.empty(), "empty model description");
  CUDANET_CHECK(input.ndim() == 3, "model input must be (C, H, W), got ", input.str());
  auto model = std::make_unique<Sequential>();
  Shape shape = input;
  size_t start = 0;
  int index = 1;
  while (start <= desc.size()) {
    size_t end = desc.find('-', start);
    if (end == std::string::npos) end = desc.size();
    const std::string tok = desc.substr(start, end - start);
    CUDANET_CHECK(!tok.empty(), "model description '", desc, "': empty layer at position ", index);
    try {
      auto layer = make_layer(tok, shape, gen);
      shape = layer->output_shape(shape);
      model->add(std::move(layer));
    } catch (const Error& e) {
      CUDANET_FAIL("model description '", desc, "', layer ", index, ": ", e.what());
    }
    start = end + 1;
    ++index;
  }
  return model;
}

std::unique_ptr<Sequential> seed_cnn(Generator& gen) { return build_model(kSeedCnn, Shape{1, 28, 28}, gen); }
std::unique_ptr<Sequential> lenet5(Generator& gen) { return build_model(kLenet5, Shape{1, 28, 28}, gen); }
std::unique_ptr<Sequential> mlp(Generator& gen) { return build_model(kMlp, Shape{1, 28, 28}, gen); }

}  // namespace cudanet
