# Sourced by the scripts: puts a CUDA toolkit under /usr/local/cuda on PATH.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
CUDANET_JOBS=${CUDANET_JOBS:-$(nproc)}
