#pragma once
// Which CUDA implementation an op uses. Every op family has a global default,
// and layers may override it; Auto measures each candidate once per shape and
// caches the fastest (as cudnn.benchmark does).
#include <string>

namespace cudanet {

enum class Algo : unsigned char {
  Default,  // defer to the family's global setting
  Auto,
  Native,   // hand-written cudanet kernels
  Cudnn,
  Cublas,
};

enum class OpFamily : unsigned char { Gemm, Conv, Pool, Norm, Softmax, Activation, kCount };

const char* algo_name(Algo a);
const char* op_family_name(OpFamily f);
// Parses "auto", "native", "cudnn", "cublas"; throws naming the family and the
// choices it accepts (gemm: auto|native|cublas, the others: auto|native|cudnn).
Algo parse_algo(OpFamily f, const std::string& s);
void set_default_algo(OpFamily f, Algo a);
Algo default_algo(OpFamily f);
// Resolves Default to the family setting.
Algo resolve_algo(OpFamily f, Algo requested);

// TF32 tensor-core math for float32 GEMM and convolution on cuBLAS/cuDNN. Off by
// default, so results match the CPU reference to float32 rounding.
void set_allow_tf32(bool on);
bool allow_tf32();

}  // namespace cudanet
