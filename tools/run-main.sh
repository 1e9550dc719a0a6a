#!/usr/bin/env bash
# The main job: set up, build, and train the reference CNN (the Keras MNIST
# CNN) on Fashion-MNIST for 5 epochs, on the GPU when there is one, else the
# CPU, then print the test accuracy. Extra arguments go to cudanet-train.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
. tools/env.sh
# -march=native: the CPU backend is compiled for this machine's vector units.
mkdir -p build
cmake -S . -B build/main -DCMAKE_BUILD_TYPE=Release -DCUDANET_NATIVE_CPU=ON -DCUDANET_BUILD_TESTS=OFF > build/main.log 2>&1 ||
  { cat build/main.log; exit 1; }
grep "cudanet" build/main.log || true
cmake --build build/main -j "$CUDANET_JOBS" --target cudanet-train >> build/main.log 2>&1 || { tail -40 build/main.log; exit 1; }
exec build/main/apps/cudanet-train train --data /usr/share/datasets/fashion-mnist --device auto "$@"
