#!/usr/bin/env bash
# Builds cudanet for the GPU machines (sm_90: H100/H200) into build/gpu, ready
# to be carried there and checked with tools/gpu-check.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/env.sh
cmake -S . -B build/gpu -DCMAKE_BUILD_TYPE=Release -DCUDANET_REQUIRE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90
cmake --build build/gpu -j "$CUDANET_JOBS"
git rev-parse --short HEAD > build/gpu/COMMIT
# The GPU machine has no ../shared: bring the MNIST digits along inside the build.
if [ -d ../shared/data/mnist-digits-10k ]; then
  mkdir -p build/gpu/data && cp ../shared/data/mnist-digits-10k/* build/gpu/data/
fi
echo "build-gpu: carry build/gpu and run: tools/gpu-check.sh --build build/gpu --data build/gpu/data"
