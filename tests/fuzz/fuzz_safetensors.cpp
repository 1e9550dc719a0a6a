// libFuzzer target for the safetensors reader: any input either loads or throws
// cudanet::Error; what loads re-encodes to a file that loads to the same tensors.
#include <cstdlib>
#include <cstring>

#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cudanet;
  SafetensorsFile f;
  try {
    f = load_safetensors_bytes(data, size, "fuzz-input");
  } catch (const Error&) {
    return 0;
  }
  std::vector<uint8_t> again;
  try {
    again = encode_safetensors(f.tensors, f.metadata);
  } catch (const Error&) {
    return 0;  // a name or metadata string that is not valid UTF-8 loads but cannot be written back
  }
  const SafetensorsFile g = load_safetensors_bytes(again.data(), again.size(), "re-encoded");
  if (g.metadata != f.metadata || g.tensors.size() != f.tensors.size()) std::abort();
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    const Tensor &a = f.tensors[i].second, &b = g.tensors[i].second;
    if (f.tensors[i].first != g.tensors[i].first || a.shape() != b.shape() || a.dtype() != b.dtype() ||
        (a.nbytes() && std::memcmp(a.data_ptr(), b.data_ptr(), a.nbytes()) != 0))
      std::abort();
  }
  return 0;
}
