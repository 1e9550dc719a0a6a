#pragma once
// Sequential: modules applied in order; children are named "0", "1", ...
// so parameter names match torch.nn.Sequential's ("0.weight").
#include <memory>
#include <vector>

#include "layers/module.h"

namespace cudanet {

class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential& add(std::unique_ptr<Module> m);
  template <class M, class... Args>
  Sequential& emplace(Args&&... args) {
    return add(std::make_unique<M>(std::forward<Args>(args)...));
  }

  Tensor forward(const Tensor& x) override;
  // Checks every layer against the shape its predecessor produces; the error
  // names the layer's position, the shape that arrived and the one expected.
  Shape output_shape(const Shape& in) const override;
  std::string name() const override;  // the description string, "conv32x3-relu-..."

  size_t size() const { return layers_.size(); }
  Module& operator[](size_t i) { return *layers_[i]; }
  // One line per layer: name, output shape, parameter count.
  std::string summary(const Shape& input) const;

 private:
  std::vector<std::unique_ptr<Module>> layers_;
};

}  // namespace cudanet
