#include "layers/sequential.h"

#include <cstdio>
#include <sstream>

namespace cudanet {

Sequential& Sequential::add(std::unique_ptr<Module> m) {
  CUDANET_CHECK(m != nullptr, "Sequential::add: null module");
  register_module(std::to_string(layers_.size()), m.get());
  layers_.push_back(std::move(m));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& m : layers_) h = m->forward(h);
  return h;
}

Shape Sequential::output_shape(const Shape& in) const {
  Shape s = in;
  for (size_t i = 0; i < layers_.size(); ++i) {
    try {
      s = layers_[i]->output_shape(s);
    } catch (const Error& e) {
      CUDANET_FAIL("layer ", i + 1, " of ", layers_.size(), " (", layers_[i]->name(), ") does not fit: ", e.what());
    }
  }
  return s;
}

std::string Sequential::name() const {
  std::string s;
  for (size_t i = 0; i < layers_.size(); ++i) s += (i ? "-" : "") + layers_[i]->name();
  return s;
}

std::string Sequential::summary(const Shape& input) const {
  std::ostringstream os;
  char line[160];
  std::snprintf(line, sizeof line, "%-4s %-18s %-18s %10s\n", "#", "layer", "output", "params");
  os << line;
  Shape s = input;
  for (size_t i = 0; i < layers_.size(); ++i) {
    s = layers_[i]->output_shape(s);
    std::snprintf(line, sizeof line, "%-4zu %-18s %-18s %10lld\n", i, layers_[i]->name().c_str(), s.str().c_str(),
                  static_cast<long long>(layers_[i]->num_parameters()));
    os << line;
  }
  std::snprintf(line, sizeof line, "total parameters: %lld\n", static_cast<long long>(num_parameters()));
  os << line;
  return os.str();
}

}  // namespace cudanet
