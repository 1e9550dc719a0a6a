// Hand-written GEMM: a register-blocked, double-buffered SGEMM in three tile
// sizes, a plainer tiled DGEMM, their raw-pointer launchers (sgemm.cuh) and the
// Tensor-level launcher.
#include <climits>
#include <cstdint>
#include <type_traits>

#include "kernels/common/type_dispatch.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/matmul.cuh"
#include "kernels/cuda/sgemm.cuh"

namespace cudanet::cuda {

namespace {

// Block tile BM x BN, BK deep per shared-memory stage, TM x TN outputs per thread.
template <int BM_, int BN_, int BK_, int TM_, int TN_>
struct Tile {
  static constexpr int BM = BM_, BN = BN_, BK = BK_, TM = TM_, TN = TN_;
  static constexpr int kThreadsM = BM / TM, kThreadsN = BN / TN;
  static constexpr int kThreads = kThreadsM * kThreadsN;
  static_assert(TM % 4 == 0 && TN % 4 == 0, "threads read shared memory as float4");
};
using LargeTile = Tile<128, 128, 8, 8, 8>;   // 256 threads, 64 outputs each: big GEMMs
using MediumTile = Tile<64, 64, 16, 4, 4>;   // 256 threads: mid-size, 4x the blocks
using SmallTile = Tile<32, 32, 16, 4, 4>;    // 64 threads: dense layers, 16x the blocks

// Shared rows are padded by 4 floats: the transposing stores of a K-contiguous
// operand then spread over banks, and float4 alignment is kept.
constexpr int kPad = 4;

struct SgemmArgs {
  int M, N, K;
  float alpha, beta;
  const float* A;
  const float* B;
  float* C;
  int lda, ldb, ldc;
  bool vec_a, vec_b, vec_c;  // float4 global access allowed (ld % 4 == 0, 16-byte base)
};

// One operand's BK-deep slice, R rows of the output dimension wide (M for A,
// N for B), staged global -> registers -> shared memory S[k][r]. KCONTIG: the
// operand is stored (rows, K), so consecutive k are adjacent in memory;
// otherwise it is stored (K, rows). Out-of-range elements load as zero, so the
// inner product needs no guards.
template <int R, int BK, int THREADS, bool KCONTIG>
struct Slice {
  static constexpr int kVecs = R * BK / (4 * THREADS);
  static_assert(R * BK % (4 * THREADS) == 0, "slice must split evenly into float4 per thread");
  static constexpr int kLds = R + kPad;
  float4 v[kVecs];

  __device__ static void coords(int f, int& r, int& k) {
    if constexpr (KCONTIG) {
      r = f / (BK / 4), k = (f % (BK / 4)) * 4;
    } else {
      r = (f % (R / 4)) * 4, k = f / (R / 4);
    }
  }

  __device__ void load(const float* __restrict__ x, int ld, int rows, int K, int r0, int k0, bool vec) {
#pragma unroll
    for (int i = 0; i < kVecs; ++i) {
      int r, k;
      coords(threadIdx.x + i * THREADS, r, k);
      const int gr = r0 + r, gk = k0 + k;
      if constexpr (KCONTIG) {
        const float* p = x + static_cast<int64_t>(gr) * ld + gk;
        if (vec && gr < rows && gk + 3 < K) {
          v[i] = *reinterpret_cast<const float4*>(p);
        } else {
          const bool in = gr < rows;
          v[i] = make_float4(in && gk < K ? p[0] : 0.f, in && gk + 1 < K ? p[1] : 0.f,
                             in && gk + 2 < K ? p[2] : 0.f, in && gk + 3 < K ? p[3] : 0.f);
        }
      } else {
        const float* p = x + static_cast<int64_t>(gk) * ld + gr;
        if (vec && gk < K && gr + 3 < rows) {
          v[i] = *reinterpret_cast<const float4*>(p);
        } else {
          const bool in = gk < K;
          v[i] = make_float4(in && gr < rows ? p[0] : 0.f, in && gr + 1 < rows ? p[1] : 0.f,
                             in && gr + 2 < rows ? p[2] : 0.f, in && gr + 3 < rows ? p[3] : 0.f);
        }
      }
    }
  }

  __device__ void store(float* s) const {
#pragma unroll
    for (int i = 0; i < kVecs; ++i) {
      int r, k;
      coords(threadIdx.x + i * THREADS, r, k);
      if constexpr (KCONTIG) {
        s[(k + 0) * kLds + r] = v[i].x;
        s[(k + 1) * kLds + r] = v[i].y;
        s[(k + 2) * kLds + r] = v[i].z;
        s[(k + 3) * kLds + r] = v[i].w;
      } else {
        *reinterpret_cast<float4*>(&s[k * kLds + r]) = v[i];
      }
    }
  }
};

// ---------------------------------------------------------------- CUDA kernels

// C (M, N) = alpha * op(A) · op(B) + beta * C, row-major. Each block owns a
// BM x BN tile of C; thread (ty, tx) owns TM/4 x TN/4 groups of 4x4 outputs,
// the groups kThreadsM*4 rows and kThreadsN*4 columns apart, so a warp's float4
// reads of a shared row are contiguous (conflict-free) or broadcast. The next
// slice is fetched into registers while the current one is multiplied, then
// stored to the other shared buffer: one barrier per slice.
template <class Cfg, bool TA, bool TB>
__global__ void __launch_bounds__(Cfg::kThreads) matmul_forward_kernel(SgemmArgs g) {
  constexpr int BM = Cfg::BM, BN = Cfg::BN, BK = Cfg::BK, TM = Cfg::TM, TN = Cfg::TN;
  using SliceA = Slice<BM, BK, Cfg::kThreads, !TA>;
  using SliceB = Slice<BN, BK, Cfg::kThreads, TB>;
  __shared__ __align__(16) float As[2][BK * SliceA::kLds];  // [k][m]
  __shared__ __align__(16) float Bs[2][BK * SliceB::kLds];  // [k][n]

  const int tx = threadIdx.x % Cfg::kThreadsN, ty = threadIdx.x / Cfg::kThreadsN;
  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  SliceA sa;
  SliceB sb;
  float acc[TM][TN] = {};

  const int slices = (g.K + BK - 1) / BK;
  if (slices > 0) {
    sa.load(g.A, g.lda, g.M, g.K, m0, 0, g.vec_a);
    sb.load(g.B, g.ldb, g.N, g.K, n0, 0, g.vec_b);
    sa.store(As[0]);
    sb.store(Bs[0]);
    __syncthreads();
  }
  for (int s = 0; s < slices; ++s) {
    const int cur = s & 1;
    const bool more = s + 1 < slices;
    if (more) {
      sa.load(g.A, g.lda, g.M, g.K, m0, (s + 1) * BK, g.vec_a);
      sb.load(g.B, g.ldb, g.N, g.K, n0, (s + 1) * BK, g.vec_b);
    }
    const float* as = As[cur];
    const float* bs = Bs[cur];
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      float a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM / 4; ++i) {
        const float4 v = *reinterpret_cast<const float4*>(&as[kk * SliceA::kLds + (i * Cfg::kThreadsM + ty) * 4]);
        a[4 * i] = v.x, a[4 * i + 1] = v.y, a[4 * i + 2] = v.z, a[4 * i + 3] = v.w;
      }
#pragma unroll
      for (int j = 0; j < TN / 4; ++j) {
        const float4 v = *reinterpret_cast<const float4*>(&bs[kk * SliceB::kLds + (j * Cfg::kThreadsN + tx) * 4]);
        b[4 * j] = v.x, b[4 * j + 1] = v.y, b[4 * j + 2] = v.z, b[4 * j + 3] = v.w;
      }
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    if (more) {
      sa.store(As[cur ^ 1]);
      sb.store(Bs[cur ^ 1]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int m = m0 + ((i / 4) * Cfg::kThreadsM + ty) * 4 + i % 4;
    if (m >= g.M) continue;
    float* crow = g.C + static_cast<int64_t>(m) * g.ldc;
#pragma unroll
    for (int j = 0; j < TN / 4; ++j) {
      const int n = n0 + (j * Cfg::kThreadsN + tx) * 4;
      if (g.vec_c && n + 3 < g.N) {
        float4 out = make_float4(g.alpha * acc[i][4 * j], g.alpha * acc[i][4 * j + 1], g.alpha * acc[i][4 * j + 2],
                                 g.alpha * acc[i][4 * j + 3]);
        if (g.beta != 0.f) {
          const float4 old = *reinterpret_cast<const float4*>(crow + n);
          out.x += g.beta * old.x, out.y += g.beta * old.y, out.z += g.beta * old.z, out.w += g.beta * old.w;
        }
        *reinterpret_cast<float4*>(crow + n) = out;
      } else {
#pragma unroll
        for (int q = 0; q < 4; ++q) {
          if (n + q >= g.N) break;
          float out = g.alpha * acc[i][4 * j + q];
          if (g.beta != 0.f) out += g.beta * crow[n + q];
          crow[n + q] = out;
        }
      }
    }
  }
}

// Double precision: 64x64 tiles, 16 deep, 256 threads with 4x4 outputs each,
// 16 apart so a warp's shared reads are contiguous or broadcast. Operands are
// addressed through strides (op(A)[m][k] = A[m * sam + k * sak]), and each
// thread's loads walk the operand's contiguous dimension for coalescing.
constexpr int kDTile = 64, kDDepth = 16, kDThreads = 256;

__device__ void load_f64_tile(double (*s)[kDTile + 1], const double* __restrict__ x, int64_t sr, int64_t sk,
                              int rows, int K, int r0, int k0) {
  for (int f = threadIdx.x; f < kDTile * kDDepth; f += kDThreads) {
    const bool kcontig = sk == 1;
    const int r = kcontig ? f / kDDepth : f % kDTile;
    const int k = kcontig ? f % kDDepth : f / kDTile;
    const int gr = r0 + r, gk = k0 + k;
    s[k][r] = gr < rows && gk < K ? x[gr * sr + gk * sk] : 0.0;
  }
}

__global__ void __launch_bounds__(kDThreads) matmul_forward_f64_kernel(int M, int N, int K, double alpha,
                                                                        const double* __restrict__ A,
                                                                        int64_t sam, int64_t sak,
                                                                        const double* __restrict__ B,
                                                                        int64_t sbk, int64_t sbn, double beta,
                                                                        double* __restrict__ C, int ldc) {
  __shared__ double As[kDDepth][kDTile + 1];  // [k][m]
  __shared__ double Bs[kDDepth][kDTile + 1];  // [k][n]
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int m0 = blockIdx.x * kDTile, n0 = blockIdx.y * kDTile;
  double acc[4][4] = {};
  for (int k0 = 0; k0 < K; k0 += kDDepth) {
    load_f64_tile(As, A, sam, sak, M, K, m0, k0);
    load_f64_tile(Bs, B, sbn, sbk, N, K, n0, k0);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kDDepth; ++kk)
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fma(As[kk][ty + 16 * i], Bs[kk][tx + 16 * j], acc[i][j]);
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int m = m0 + ty + 16 * i;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int n = n0 + tx + 16 * j;
      if (m >= M || n >= N) continue;
      double* c = C + static_cast<int64_t>(m) * ldc + n;
      *c = alpha * acc[i][j] + (beta != 0.0 ? beta * *c : 0.0);
    }
  }
}

// ------------------------------------------------------------ kernel launchers

bool vec_ok(const void* p, int ld) { return ld % 4 == 0 && reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <class Cfg>
int64_t blocks_of(int M, int N) {
  return static_cast<int64_t>((M + Cfg::BM - 1) / Cfg::BM) * ((N + Cfg::BN - 1) / Cfg::BN);
}

template <class Cfg>
void launch_sgemm(bool ta, bool tb, const SgemmArgs& g, cudaStream_t stream) {
  const dim3 grid((g.M + Cfg::BM - 1) / Cfg::BM, (g.N + Cfg::BN - 1) / Cfg::BN);
  CUDANET_CHECK(grid.y <= 65535, "sgemm: N = ", g.N, " needs more than 65535 column tiles");
  const unsigned threads = Cfg::kThreads;
  if (ta && tb) matmul_forward_kernel<Cfg, true, true><<<grid, threads, 0, stream>>>(g);
  else if (ta) matmul_forward_kernel<Cfg, true, false><<<grid, threads, 0, stream>>>(g);
  else if (tb) matmul_forward_kernel<Cfg, false, true><<<grid, threads, 0, stream>>>(g);
  else matmul_forward_kernel<Cfg, false, false><<<grid, threads, 0, stream>>>(g);
  CUDANET_LAUNCH_CHECK("matmul_forward_kernel");
}

}  // namespace

void sgemm_native(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                  int ldb, float beta, float* C, int ldc, cudaStream_t stream) {
  CUDANET_CHECK(M >= 0 && N >= 0 && K >= 0, "sgemm: negative size M=", M, " N=", N, " K=", K);
  if (M == 0 || N == 0) return;
  const SgemmArgs g{M, N, K, alpha, beta, A, B, C, lda, ldb, ldc, vec_ok(A, lda), vec_ok(B, ldb), vec_ok(C, ldc)};
  int device = 0, sms = 0;
  CUDANET_CUDA_CHECK(cudaGetDevice(&device));
  CUDANET_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  // The largest tile that still gives every SM a block: reuse per block matters
  // less than leaving SMs idle, and the dense layers' 64x64 outputs would be a
  // single 128x128 block.
  if (blocks_of<LargeTile>(M, N) >= sms) launch_sgemm<LargeTile>(ta, tb, g, stream);
  else if (blocks_of<MediumTile>(M, N) >= sms) launch_sgemm<MediumTile>(ta, tb, g, stream);
  else launch_sgemm<SmallTile>(ta, tb, g, stream);
}

void dgemm_native(bool ta, bool tb, int M, int N, int K, double alpha, const double* A, int lda,
                  const double* B, int ldb, double beta, double* C, int ldc, cudaStream_t stream) {
  CUDANET_CHECK(M >= 0 && N >= 0 && K >= 0, "dgemm: negative size M=", M, " N=", N, " K=", K);
  if (M == 0 || N == 0) return;
  const dim3 grid((M + kDTile - 1) / kDTile, (N + kDTile - 1) / kDTile);
  CUDANET_CHECK(grid.y <= 65535, "dgemm: N = ", N, " needs more than 65535 column tiles");
  const int64_t sam = ta ? 1 : lda, sak = ta ? lda : 1;  // op(A)[m][k]
  const int64_t sbk = tb ? 1 : ldb, sbn = tb ? ldb : 1;  // op(B)[k][n]
  matmul_forward_f64_kernel<<<grid, kDThreads, 0, stream>>>(M, N, K, alpha, A, sam, sak, B, sbk, sbn, beta, C,
                                                            ldc);
  CUDANET_LAUNCH_CHECK("matmul_forward_f64_kernel");
}

void matmul_forward(const Tensor& c, const Tensor& a, const Tensor& b, const MatmulParams& p) {
  CUDANET_CHECK(p.m <= INT_MAX && p.n <= INT_MAX && p.k <= INT_MAX, "matmul: sizes m=", p.m, " n=", p.n,
                " k=", p.k, " exceed the 32-bit range of the native kernels");
  const int M = static_cast<int>(p.m), N = static_cast<int>(p.n), K = static_cast<int>(p.k);
  const int lda = p.trans_a ? M : K, ldb = p.trans_b ? K : N;
  Context& ctx = ctx_of(c);
  dispatch_floating(c.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, float>) {
      sgemm_native(p.trans_a, p.trans_b, M, N, K, static_cast<float>(p.alpha), a.data<float>(), lda,
                   b.data<float>(), ldb, static_cast<float>(p.beta), c.data<float>(), N, ctx.stream);
    } else {
      dgemm_native(p.trans_a, p.trans_b, M, N, K, p.alpha, a.data<double>(), lda, b.data<double>(), ldb, p.beta,
                   c.data<double>(), N, ctx.stream);
    }
  });
}

}  // namespace cudanet::cuda
