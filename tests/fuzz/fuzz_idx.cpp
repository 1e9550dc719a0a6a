// libFuzzer target for the IDX reader: any input either parses or throws
// cudanet::Error; what parses re-encodes (plain and gzip) to an equal array.
#include <cstdlib>

#include "io/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cudanet;
  IdxArray a;
  try {
    a = read_idx_bytes(data, size, "fuzz-input");
  } catch (const Error&) {
    return 0;
  }
  for (bool gz : {false, true}) {
    const std::vector<uint8_t> again = encode_idx(a, gz);
    const IdxArray b = read_idx_bytes(again.data(), again.size(), "re-encoded");
    if (b.type != a.type || b.dims != a.dims || b.bytes != a.bytes) std::abort();
  }
  if (a.dims.size() <= static_cast<size_t>(kMaxDims)) {
    const Tensor t = idx_to_tensor(a);
    if (t.numel() != a.numel()) std::abort();
  }
  return 0;
}
