#!/usr/bin/env bash
# Sets up, builds the CUDA configuration (a missing toolkit is an error: this is
# a CUDA engine) and the CPU-only configuration, and runs every test of both.
# Without a GPU the tests labelled `gpu` report themselves skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
. tools/env.sh
start=$(date +%s)

# CI builds one architecture to stay fast: sm_90 (H100/H200), the GPU machines'.
# -march=native: CI builds and runs on the same machine, and the end-to-end
# tests train real models on the CPU backend.
cmake -S . -B build/test-cuda -DCMAKE_BUILD_TYPE=Release -DCUDANET_REQUIRE_CUDA=ON -DCUDANET_NATIVE_CPU=ON \
      -DCMAKE_CUDA_ARCHITECTURES=${CUDANET_CUDA_ARCH:-90} -DCMAKE_INSTALL_PREFIX="$PWD/build/test-prefix"
cmake --build build/test-cuda -j "$CUDANET_JOBS"
ctest --test-dir build/test-cuda --output-on-failure -j "$CUDANET_JOBS"

cmake -S . -B build/test-cpu -DCMAKE_BUILD_TYPE=Release -DCUDANET_WITH_CUDA=OFF -DCUDANET_NATIVE_CPU=ON
cmake --build build/test-cpu -j "$CUDANET_JOBS"
ctest --test-dir build/test-cpu --output-on-failure -j "$CUDANET_JOBS"

if [ -x tools/test-embedding.sh ]; then tools/test-embedding.sh build/test-cuda; fi
echo "test.sh: all configurations passed in $(( $(date +%s) - start )) s"
