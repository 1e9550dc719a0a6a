#!/usr/bin/env bash
# Installs a built cudanet into a prefix, builds examples/ against the installed
# package with g++ alone, and trains it for one epoch on a small subset.
#   tools/test-embedding.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: tools/test-embedding.sh BUILD_DIR}
prefix="$build/embedding-prefix"
rm -rf "$prefix" "$build/example"
cmake --install "$build" --prefix "$prefix" > /dev/null
# No CUDA header may leak into the public API: the example compiles with g++ only.
cmake -S examples -B "$build/example" -DCMAKE_PREFIX_PATH="$PWD/$prefix" -DCMAKE_CXX_COMPILER=g++ > /dev/null
cmake --build "$build/example" -j "${CUDANET_JOBS:-2}" > /dev/null
data=/usr/share/datasets/fashion-mnist
[ -d "$data" ] || data=../shared/data/mnist-digits-10k
"$build/example/train_mnist" "$data" "$build/example/example.safetensors" 1000
test -s "$build/example/example.safetensors"
echo "test-embedding: the installed package builds and trains"
