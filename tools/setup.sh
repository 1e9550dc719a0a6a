#!/usr/bin/env bash
# Installs what cudanet needs on a Debian machine: the build tools and libraries
# from Debian's packages (libonnx-dev for the ONNX export, Open MPI for
# distributed training), Fashion-MNIST, and the PyPI packages the Python tests
# use (not torch: its test skips without it). The
# CUDA toolkit (nvcc, cuBLAS, cuDNN 9) is not a Debian package of the right
# version; it is used when present under /usr/local/cuda or on PATH, and its
# absence is reported.
set -euo pipefail

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

packages=(build-essential cmake pkg-config libeigen3-dev catch2 zlib1g-dev libcli11-dev
          nlohmann-json3-dev libbenchmark-dev libboost-context-dev dataset-fashion-mnist clang python3 python3-pip
          libonnx-dev libprotobuf-dev openmpi-bin libopenmpi-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The interop test loads our checkpoints with the Python safetensors package;
# the metrics test checks ours against scikit-learn's on the same predictions;
# the ONNX test runs exported graphs in onnx's checker and onnxruntime.
if ! python3 -c "import safetensors, numpy, sklearn, onnx, onnxruntime" 2>/dev/null; then
  python3 -m pip install --quiet safetensors numpy scikit-learn onnx onnxruntime 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages safetensors numpy scikit-learn onnx onnxruntime 2>/dev/null ||
    echo "setup: could not install safetensors/numpy/scikit-learn/onnx/onnxruntime from PyPI; the Python tests will report themselves skipped"
fi

if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then
  echo "setup: CUDA toolkit found: $( (command -v nvcc || echo /usr/local/cuda/bin/nvcc) | head -1)"
else
  echo "setup: no CUDA toolkit found: cudanet will build its CPU backend only"
fi
