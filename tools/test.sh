#!/usr/bin/env bash
# Sets up, builds the CUDA configuration (a missing toolkit is an error: this is
# a CUDA engine), the emulated CUDA device and the CPU-only configuration, and
# runs every test of each. Without a GPU the CUDA configuration's tests labelled
# `gpu` report themselves skipped; the emulated device runs them (docs/emulator.md).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
. tools/env.sh
start=$(date +%s)

# The dependency rules of docs/architecture.md: no include of kernels/ or
# core/cuda/ above core, no dispatch outside core/ops/.
tools/check-includes.sh

# CI builds one architecture to stay fast: sm_90 (H100/H200), the GPU machines'.
# The CUDA and CPU configurations build the CPU backend as a user gets it (every
# instruction-set level, chosen at start-up: docs/architecture.md); the emulated
# one builds the single -march=native level, so both ways are tested.
cmake -S . -B build/test-cuda -DCMAKE_BUILD_TYPE=Release -DCUDANET_REQUIRE_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES=${CUDANET_CUDA_ARCH:-90} -DCMAKE_INSTALL_PREFIX="$PWD/build/test-prefix"
cmake --build build/test-cuda -j "$CUDANET_JOBS"
ctest --test-dir build/test-cuda --output-on-failure -j "$CUDANET_JOBS"

# The emulated device runs every [gpu] test of a hand-written kernel on the host,
# checked (deadlocks, divergent barriers, shuffle masks, launch limits); the
# cuBLAS/cuDNN-only ones report skipped. Twice: threads in forward order, then
# in a seeded shuffle between barriers, since a result that depends on the
# order is a race.
cmake -S . -B build/test-emu -DCMAKE_BUILD_TYPE=Release -DCUDANET_CUDA_EMULATION=ON -DCUDANET_NATIVE_CPU=ON
cmake --build build/test-emu -j "$CUDANET_JOBS"
ctest --test-dir build/test-emu -L gpu --output-on-failure -j "$CUDANET_JOBS"
CUDAEMU_ORDER=shuffle CUDAEMU_SEED=1 ctest --test-dir build/test-emu -L gpu --output-on-failure -j "$CUDANET_JOBS"

cmake -S . -B build/test-cpu -DCMAKE_BUILD_TYPE=Release -DCUDANET_WITH_CUDA=OFF
cmake --build build/test-cpu -j "$CUDANET_JOBS"
ctest --test-dir build/test-cpu --output-on-failure -j "$CUDANET_JOBS"
# The same tests on the lowest level a processor can be given (the dispatch's fallback).
CUDANET_CPU_CAPABILITY=baseline ctest --test-dir build/test-cpu -L cpu -R "backend-ops|conv2d|matmul|train" -j "$CUDANET_JOBS"
# Every command README.md and docs/ show runs as written, or is skipped for a
# reason the script names (tools/check_doc_commands.py).
python3 tools/check_doc_commands.py build/test-cpu

if [ -x tools/test-embedding.sh ]; then tools/test-embedding.sh build/test-cuda; fi
echo "test.sh: all configurations passed in $(( $(date +%s) - start )) s"
