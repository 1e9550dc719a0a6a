// cuBLAS and cuDNN for the emulated CUDA device (CUDANET_CUDA_EMULATION).
// The emulator runs only cudanet's hand-written kernels; the vendor libraries
// are not emulated. They exist as headers (emu/include) plus these stubs, so the
// vendor paths compile unchanged and report themselves unavailable at run time:
// every call fails with *_STATUS_NOT_SUPPORTED and a sentence saying why, and
// cudanet's Auto algorithm picks the native kernels. Destroy functions succeed
// (cleanup paths call them, maybe on null handles); create functions set their
// out-pointer to null before failing.
#include <cublas_v2.h>
#include <cudnn.h>

#include <cstdio>

namespace {
constexpr const char* kCublasWhy =
    "cuBLAS is not available on the emulated CUDA device (CUDANET_CUDA_EMULATION build); use the native algorithm";
constexpr const char* kCudnnWhy =
    "cuDNN is not available on the emulated CUDA device (CUDANET_CUDA_EMULATION build); use the native algorithm";
}  // namespace

// One stub per line: the function's name, then its parameter types.
#define CUBLAS_STUB(name, ...) \
  cublasStatus_t name(__VA_ARGS__) { return CUBLAS_STATUS_NOT_SUPPORTED; }
#define CUDNN_STUB(name, ...) \
  cudnnStatus_t name(__VA_ARGS__) { return CUDNN_STATUS_NOT_SUPPORTED; }
#define CUDNN_CREATE_DESTROY(what, T)                 \
  cudnnStatus_t cudnnCreate##what(T* out) {           \
    if (out) *out = nullptr;                          \
    return CUDNN_STATUS_NOT_SUPPORTED;                \
  }                                                   \
  cudnnStatus_t cudnnDestroy##what(T) { return CUDNN_STATUS_SUCCESS; }
#define NAME(status) \
  case status: return #status;

extern "C" {

// ---- cuBLAS
cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  if (handle) *handle = nullptr;
  return CUBLAS_STATUS_NOT_SUPPORTED;
}
cublasStatus_t cublasDestroy(cublasHandle_t) { return CUBLAS_STATUS_SUCCESS; }
CUBLAS_STUB(cublasSetStream, cublasHandle_t, cudaStream_t)
CUBLAS_STUB(cublasSetMathMode, cublasHandle_t, cublasMath_t)
CUBLAS_STUB(cublasSetWorkspace, cublasHandle_t, void*, size_t)
CUBLAS_STUB(cublasSgemm, cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const float*,
            const float*, int, const float*, int, const float*, float*, int)
CUBLAS_STUB(cublasDgemm, cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const double*,
            const double*, int, const double*, int, const double*, double*, int)
CUBLAS_STUB(cublasGemmEx, cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
            const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*, cudaDataType, int,
            cublasComputeType_t, cublasGemmAlgo_t)

const char* cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
    NAME(CUBLAS_STATUS_SUCCESS)
    NAME(CUBLAS_STATUS_NOT_INITIALIZED)
    NAME(CUBLAS_STATUS_ALLOC_FAILED)
    NAME(CUBLAS_STATUS_INVALID_VALUE)
    NAME(CUBLAS_STATUS_ARCH_MISMATCH)
    NAME(CUBLAS_STATUS_MAPPING_ERROR)
    NAME(CUBLAS_STATUS_EXECUTION_FAILED)
    NAME(CUBLAS_STATUS_INTERNAL_ERROR)
    NAME(CUBLAS_STATUS_NOT_SUPPORTED)
    NAME(CUBLAS_STATUS_LICENSE_ERROR)
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

const char* cublasGetStatusString(cublasStatus_t status) {
  return status == CUBLAS_STATUS_NOT_SUPPORTED ? kCublasWhy : cublasGetStatusName(status);
}

// ---- cuDNN
size_t cudnnGetVersion(void) { return 0; }

void cudnnGetLastErrorString(char* message, size_t max_size) {
  if (message && max_size > 0) std::snprintf(message, max_size, "%s", kCudnnWhy);
}

const char* cudnnGetErrorString(cudnnStatus_t status) {
  switch (status) {  // the deprecated aliases share these values, INVALID_VALUE excepted
    NAME(CUDNN_STATUS_SUCCESS)
    NAME(CUDNN_STATUS_NOT_INITIALIZED)
    NAME(CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH)
    NAME(CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH)
    NAME(CUDNN_STATUS_DEPRECATED)
    NAME(CUDNN_STATUS_LICENSE_ERROR)
    NAME(CUDNN_STATUS_RUNTIME_IN_PROGRESS)
    NAME(CUDNN_STATUS_RUNTIME_FP_OVERFLOW)
    NAME(CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED)
    NAME(CUDNN_STATUS_BAD_PARAM)
    NAME(CUDNN_STATUS_INVALID_VALUE)
    NAME(CUDNN_STATUS_BAD_PARAM_NULL_POINTER)
    NAME(CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER)
    NAME(CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED)
    NAME(CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND)
    NAME(CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT)
    NAME(CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH)
    NAME(CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH)
    NAME(CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES)
    NAME(CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE)
    NAME(CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH)
    NAME(CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE)
    NAME(CUDNN_STATUS_NOT_SUPPORTED)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_SHAPE)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_LAYOUT)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_PADDING)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM)
    NAME(CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API)
    NAME(CUDNN_STATUS_INTERNAL_ERROR)
    NAME(CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED)
    NAME(CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE)
    NAME(CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED)
    NAME(CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED)
    NAME(CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM)
    NAME(CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED)
    NAME(CUDNN_STATUS_EXECUTION_FAILED)
    NAME(CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER)
    NAME(CUDNN_STATUS_EXECUTION_FAILED_CUBLAS)
    NAME(CUDNN_STATUS_EXECUTION_FAILED_CUDART)
    NAME(CUDNN_STATUS_EXECUTION_FAILED_CURAND)
  }
  return "CUDNN_UNKNOWN_STATUS";
}

CUDNN_CREATE_DESTROY(, cudnnHandle_t)
CUDNN_CREATE_DESTROY(TensorDescriptor, cudnnTensorDescriptor_t)
CUDNN_CREATE_DESTROY(FilterDescriptor, cudnnFilterDescriptor_t)
CUDNN_CREATE_DESTROY(ConvolutionDescriptor, cudnnConvolutionDescriptor_t)
CUDNN_CREATE_DESTROY(PoolingDescriptor, cudnnPoolingDescriptor_t)

CUDNN_STUB(cudnnSetStream, cudnnHandle_t, cudaStream_t)
CUDNN_STUB(cudnnSetTensor4dDescriptor, cudnnTensorDescriptor_t, cudnnTensorFormat_t, cudnnDataType_t, int, int, int,
           int)
CUDNN_STUB(cudnnSetFilter4dDescriptor, cudnnFilterDescriptor_t, cudnnDataType_t, cudnnTensorFormat_t, int, int, int,
           int)
CUDNN_STUB(cudnnSetConvolution2dDescriptor, cudnnConvolutionDescriptor_t, int, int, int, int, int, int,
           cudnnConvolutionMode_t, cudnnDataType_t)
CUDNN_STUB(cudnnSetConvolutionMathType, cudnnConvolutionDescriptor_t, cudnnMathType_t)
CUDNN_STUB(cudnnGetConvolution2dForwardOutputDim, const cudnnConvolutionDescriptor_t, const cudnnTensorDescriptor_t,
           const cudnnFilterDescriptor_t, int*, int*, int*, int*)
CUDNN_STUB(cudnnSetPooling2dDescriptor, cudnnPoolingDescriptor_t, cudnnPoolingMode_t, cudnnNanPropagation_t, int, int,
           int, int, int, int)
CUDNN_STUB(cudnnGetPooling2dForwardOutputDim, const cudnnPoolingDescriptor_t, const cudnnTensorDescriptor_t, int*,
           int*, int*, int*)
CUDNN_STUB(cudnnDeriveBNTensorDescriptor, cudnnTensorDescriptor_t, const cudnnTensorDescriptor_t, cudnnBatchNormMode_t)

CUDNN_STUB(cudnnGetConvolutionForwardWorkspaceSize, cudnnHandle_t, const cudnnTensorDescriptor_t,
           const cudnnFilterDescriptor_t, const cudnnConvolutionDescriptor_t, const cudnnTensorDescriptor_t,
           cudnnConvolutionFwdAlgo_t, size_t*)
CUDNN_STUB(cudnnFindConvolutionForwardAlgorithmEx, cudnnHandle_t, const cudnnTensorDescriptor_t, const void*,
           const cudnnFilterDescriptor_t, const void*, const cudnnConvolutionDescriptor_t,
           const cudnnTensorDescriptor_t, void*, const int, int*, cudnnConvolutionFwdAlgoPerf_t*, void*, size_t)
CUDNN_STUB(cudnnConvolutionForward, cudnnHandle_t, const void*, const cudnnTensorDescriptor_t, const void*,
           const cudnnFilterDescriptor_t, const void*, const cudnnConvolutionDescriptor_t, cudnnConvolutionFwdAlgo_t,
           void*, size_t, const void*, const cudnnTensorDescriptor_t, void*)
CUDNN_STUB(cudnnGetConvolutionBackwardDataWorkspaceSize, cudnnHandle_t, const cudnnFilterDescriptor_t,
           const cudnnTensorDescriptor_t, const cudnnConvolutionDescriptor_t, const cudnnTensorDescriptor_t,
           cudnnConvolutionBwdDataAlgo_t, size_t*)
CUDNN_STUB(cudnnFindConvolutionBackwardDataAlgorithmEx, cudnnHandle_t, const cudnnFilterDescriptor_t, const void*,
           const cudnnTensorDescriptor_t, const void*, const cudnnConvolutionDescriptor_t,
           const cudnnTensorDescriptor_t, void*, const int, int*, cudnnConvolutionBwdDataAlgoPerf_t*, void*, size_t)
CUDNN_STUB(cudnnConvolutionBackwardData, cudnnHandle_t, const void*, const cudnnFilterDescriptor_t, const void*,
           const cudnnTensorDescriptor_t, const void*, const cudnnConvolutionDescriptor_t,
           cudnnConvolutionBwdDataAlgo_t, void*, size_t, const void*, const cudnnTensorDescriptor_t, void*)
CUDNN_STUB(cudnnGetConvolutionBackwardFilterWorkspaceSize, cudnnHandle_t, const cudnnTensorDescriptor_t,
           const cudnnTensorDescriptor_t, const cudnnConvolutionDescriptor_t, const cudnnFilterDescriptor_t,
           cudnnConvolutionBwdFilterAlgo_t, size_t*)
CUDNN_STUB(cudnnFindConvolutionBackwardFilterAlgorithmEx, cudnnHandle_t, const cudnnTensorDescriptor_t, const void*,
           const cudnnTensorDescriptor_t, const void*, const cudnnConvolutionDescriptor_t,
           const cudnnFilterDescriptor_t, void*, const int, int*, cudnnConvolutionBwdFilterAlgoPerf_t*, void*, size_t)
CUDNN_STUB(cudnnConvolutionBackwardFilter, cudnnHandle_t, const void*, const cudnnTensorDescriptor_t, const void*,
           const cudnnTensorDescriptor_t, const void*, const cudnnConvolutionDescriptor_t,
           cudnnConvolutionBwdFilterAlgo_t, void*, size_t, const void*, const cudnnFilterDescriptor_t, void*)
CUDNN_STUB(cudnnConvolutionBackwardBias, cudnnHandle_t, const void*, const cudnnTensorDescriptor_t, const void*,
           const void*, const cudnnTensorDescriptor_t, void*)
CUDNN_STUB(cudnnAddTensor, cudnnHandle_t, const void*, const cudnnTensorDescriptor_t, const void*, const void*,
           const cudnnTensorDescriptor_t, void*)

CUDNN_STUB(cudnnBatchNormalizationForwardTraining, cudnnHandle_t, cudnnBatchNormMode_t, const void*, const void*,
           const cudnnTensorDescriptor_t, const void*, const cudnnTensorDescriptor_t, void*,
           const cudnnTensorDescriptor_t, const void*, const void*, double, void*, void*, double, void*, void*)
CUDNN_STUB(cudnnBatchNormalizationForwardInference, cudnnHandle_t, cudnnBatchNormMode_t, const void*, const void*,
           const cudnnTensorDescriptor_t, const void*, const cudnnTensorDescriptor_t, void*,
           const cudnnTensorDescriptor_t, const void*, const void*, const void*, const void*, double)
CUDNN_STUB(cudnnBatchNormalizationBackward, cudnnHandle_t, cudnnBatchNormMode_t, const void*, const void*,
           const void*, const void*, const cudnnTensorDescriptor_t, const void*, const cudnnTensorDescriptor_t,
           const void*, const cudnnTensorDescriptor_t, void*, const cudnnTensorDescriptor_t, const void*, void*,
           void*, double, const void*, const void*)

CUDNN_STUB(cudnnPoolingForward, cudnnHandle_t, const cudnnPoolingDescriptor_t, const void*,
           const cudnnTensorDescriptor_t, const void*, const void*, const cudnnTensorDescriptor_t, void*)
CUDNN_STUB(cudnnPoolingBackward, cudnnHandle_t, const cudnnPoolingDescriptor_t, const void*,
           const cudnnTensorDescriptor_t, const void*, const cudnnTensorDescriptor_t, const void*,
           const cudnnTensorDescriptor_t, const void*, const void*, const cudnnTensorDescriptor_t, void*)
CUDNN_STUB(cudnnSoftmaxForward, cudnnHandle_t, cudnnSoftmaxAlgorithm_t, cudnnSoftmaxMode_t, const void*,
           const cudnnTensorDescriptor_t, const void*, const void*, const cudnnTensorDescriptor_t, void*)
CUDNN_STUB(cudnnSoftmaxBackward, cudnnHandle_t, cudnnSoftmaxAlgorithm_t, cudnnSoftmaxMode_t, const void*,
           const cudnnTensorDescriptor_t, const void*, const cudnnTensorDescriptor_t, const void*, const void*,
           const cudnnTensorDescriptor_t, void*)

}  // extern "C"
