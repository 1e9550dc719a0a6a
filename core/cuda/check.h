#pragma once
// Check macros for the CUDA runtime, cuBLAS and cuDNN, specialising CUDANET_CHECK.
// Internal: includes vendor headers, never installed.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/error.h"

namespace cudanet::cuda {
[[noreturn]] void throw_cuda_error(cudaError_t e, const char* file, int line, const char* expr);
[[noreturn]] void throw_cublas_error(cublasStatus_t s, const char* file, int line, const char* expr);
[[noreturn]] void throw_cudnn_error(cudnnStatus_t s, const char* file, int line, const char* expr);
void after_launch(const char* file, int line, const char* kernel);
}  // namespace cudanet::cuda

#define CUDANET_CUDA_CHECK(expr)                                                            \
  do {                                                                                      \
    cudaError_t _e = (expr);                                                                \
    if (_e != cudaSuccess) ::cudanet::cuda::throw_cuda_error(_e, __FILE__, __LINE__, #expr); \
  } while (0)

#define CUDANET_CUBLAS_CHECK(expr)                                                                  \
  do {                                                                                              \
    cublasStatus_t _s = (expr);                                                                     \
    if (_s != CUBLAS_STATUS_SUCCESS) ::cudanet::cuda::throw_cublas_error(_s, __FILE__, __LINE__, #expr); \
  } while (0)

#define CUDANET_CUDNN_CHECK(expr)                                                                  \
  do {                                                                                             \
    cudnnStatus_t _s = (expr);                                                                     \
    if (_s != CUDNN_STATUS_SUCCESS) ::cudanet::cuda::throw_cudnn_error(_s, __FILE__, __LINE__, #expr); \
  } while (0)

// Every launcher ends with this: the launch error now, and with
// CUDANET_SYNC_LAUNCHES a device sync so asynchronous faults point at their kernel.
#define CUDANET_LAUNCH_CHECK(kernel_name) ::cudanet::cuda::after_launch(__FILE__, __LINE__, kernel_name)
