// libFuzzer target for the model description language. The first three bytes
// choose the input shape (C, H, W), the rest is the description. Any input either
// plans or throws ModelSpecError with one line and no source location; what plans
// with few enough parameters builds into exactly the planned model.
#include <cstdlib>
#include <string>

#include "core/host_allocator.h"
#include "layers/zoo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cudanet;
  if (size < 3) return 0;
  const Shape input{1 + data[0] % 4, 1 + data[1] % 64, 1 + data[2] % 64};
  const std::string description = model_description(std::string(reinterpret_cast<const char*>(data) + 3, size - 3));
  ModelSpec spec;
  try {
    spec = plan_model(description, input);
  } catch (const ModelSpecError& e) {
    const std::string m = e.what();
    // A source location ("[zoo.cpp:60]") has a ':', which the language never uses:
    // in a message about a description without one, a ':' after ".cpp" or ".h" is a leak.
    const bool located = m.find(".cpp:") != std::string::npos || m.find(".h:") != std::string::npos;
    if (m.find('\n') != std::string::npos || m.size() > 1000 || (located && description.find(':') == std::string::npos))
      std::abort();
    return 0;
  }
  if (description.size() > kMaxModelDescription) std::abort();
  // Building allocates the weights (not the activations): keep it to a few MB.
  if (spec.parameters > (1 << 20)) return 0;
  Generator gen(1);
  auto model = build_model(description, input, gen);  // checks each layer's shape against the plan
  if (model->size() != spec.layers.size() || model->num_parameters() != spec.parameters ||
      model->output_shape(input) != spec.output())
    std::abort();
  model.reset();
  detail::host_cache_release();  // the cache keeps up to 2 GiB of freed blocks: libFuzzer's RSS limit
  return 0;
}
