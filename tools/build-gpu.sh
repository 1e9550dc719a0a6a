#!/usr/bin/env bash
# Builds cudanet for the GPU machines (sm_90: H100/H200) into build/gpu and
# stages what the check needs in build/gpu-carry (about 26 MB: the device tool
# carries at most 64 MiB, and build/gpu with its object files is near that).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/env.sh
# Without MPI (and so NCCL) and ONNX: their shared libraries (libmpi and Open
# MPI's plugins and orted, libonnx, libprotobuf) are not on the GPU image and are
# not carried yet, and a binary that cannot load them would stop the whole check.
cmake -S . -B build/gpu -DCMAKE_BUILD_TYPE=Release -DCUDANET_REQUIRE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
      -DCUDANET_WITH_MPI=OFF -DCUDANET_WITH_ONNX=OFF
cmake --build build/gpu -j "$CUDANET_JOBS"
carry=build/gpu-carry
rm -rf "$carry"
mkdir -p "$carry/tests" "$carry/apps" "$carry/lib"
cp build/gpu/tests/cudanet_tests "$carry/tests/"
cp build/gpu/apps/cudanet-train build/gpu/apps/cudanet-bench "$carry/apps/"
# One line: the commit, and whether the build had uncommitted changes outside docs/.
dirty=""
git diff --quiet HEAD -- . ':!docs' || dirty=" (with uncommitted changes)"
echo "$(git rev-parse --short HEAD)$dirty" > "$carry/COMMIT"
# libgomp is the one system library the GPU image may lack; gpu-check.sh puts
# lib/ last on the loader path, so the machine's own copy wins.
cp "$(g++ -print-file-name=libgomp.so.1)" "$carry/lib/"
# The GPU machine has no ../shared: bring the MNIST digits along.
if [ -d ../shared/data/mnist-digits-10k ]; then
  mkdir -p "$carry/data" && cp ../shared/data/mnist-digits-10k/* "$carry/data/"
fi
du -sh "$carry"
echo "build-gpu: carry $carry and run: tools/gpu-check.sh --build $carry --data $carry/data --out \$OUT"
