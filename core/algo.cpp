#include "core/algo.h"

#include <array>
#include <atomic>

#include "core/error.h"

namespace cudanet {

namespace {
// Every family starts on Auto (value-initialised atomics would be Default, so
// the accessors below map Default to Auto).
std::array<std::atomic<Algo>, static_cast<size_t>(OpFamily::kCount)> g_defaults{};

Algo vendor_of(OpFamily f) { return f == OpFamily::Gemm ? Algo::Cublas : Algo::Cudnn; }
}  // namespace

const char* algo_name(Algo a) {
  switch (a) {
    case Algo::Default: return "default";
    case Algo::Auto: return "auto";
    case Algo::Native: return "native";
    case Algo::Cudnn: return "cudnn";
    case Algo::Cublas: return "cublas";
  }
  return "?";
}

const char* op_family_name(OpFamily f) {
  switch (f) {
    case OpFamily::Gemm: return "gemm";
    case OpFamily::Conv: return "conv";
    case OpFamily::Pool: return "pool";
    case OpFamily::Norm: return "norm";
    case OpFamily::Softmax: return "softmax";
    case OpFamily::Activation: return "activation";
    case OpFamily::kCount: break;
  }
  return "?";
}

Algo parse_algo(OpFamily f, const std::string& s) {
  const Algo vendor = vendor_of(f);
  if (s == "auto") return Algo::Auto;
  if (s == "native") return Algo::Native;
  if (s == algo_name(vendor)) return vendor;
  CUDANET_FAIL("unknown ", op_family_name(f), " algorithm '", s, "' (expected auto, native or ",
               algo_name(vendor), ")");
}

void set_default_algo(OpFamily f, Algo a) {
  CUDANET_CHECK(a != Algo::Default, "the global ", op_family_name(f), " algorithm cannot be 'default'");
  CUDANET_CHECK(a == Algo::Auto || a == Algo::Native || a == vendor_of(f), "algorithm ", algo_name(a),
                " does not exist for the ", op_family_name(f), " family");
  g_defaults[static_cast<size_t>(f)] = a;
}

Algo default_algo(OpFamily f) {
  const Algo a = g_defaults[static_cast<size_t>(f)];
  return a == Algo::Default ? Algo::Auto : a;
}

Algo resolve_algo(OpFamily f, Algo requested) {
  Algo a = requested == Algo::Default ? default_algo(f) : requested;
  CUDANET_CHECK(a == Algo::Auto || a == Algo::Native || a == vendor_of(f), "algorithm ", algo_name(a),
                " does not exist for the ", op_family_name(f), " family");
  return a;
}

}  // namespace cudanet

namespace cudanet {
namespace {
std::atomic<bool> g_allow_tf32{false};
}
void set_allow_tf32(bool on) { g_allow_tf32 = on; }
bool allow_tf32() { return g_allow_tf32; }
}  // namespace cudanet
