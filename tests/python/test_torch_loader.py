#!/usr/bin/env python3
"""The PyTorch loader of docs/embedding.md ("In PyTorch"), run as written.

    tests/python/test_torch_loader.py BUILD/apps/cudanet-train

Trains the seed-cnn for one short epoch with cudanet-train on the CPU (once
plain, once with --standardize), then runs the doc's Python block, unchanged,
in a folder holding the checkpoint as run.safetensors and the test images as
t10k-images-idx3-ubyte.gz, and compares what it computes with
`cudanet-train predict --output p.npy` on the same images:

  probabilities  torch's softmax(logits) against cudanet's: max |diff| <= 1e-5
                 (float32 softmax values below 1, two engines).
  logits         cudanet-train prints probabilities, not logits: log p is the
                 logits less a per-image constant, so torch's
                 log_softmax(logits) is compared with log(cudanet's p):
                 max |diff| <= 1e-4 (float32 sums of at most 576 products).

Exits 0 when both hold, 1 otherwise, 77 (ctest: skipped) when torch,
safetensors or numpy is not installed for this Python: CI does not install
torch; set CUDANET_PYTHON to an interpreter that has it.
"""
import gzip
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

SKIP = 77
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "embedding.md")

try:
    import numpy as np
    import safetensors  # noqa: F401  (the snippet's)
    import torch  # noqa: F401
except ImportError as e:
    print(f"skipped: {e.name} is not installed for {sys.executable} (pip install torch safetensors numpy)")
    sys.exit(SKIP)

TRAIN, TEST = 512, 200


def snippet():
    """The first ```python block after the doc's "## In PyTorch" heading."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    at = text.index("\n## In PyTorch\n")
    m = re.search(r"^```python\n(.*?)^```$", text[at:], re.S | re.M)
    return m.group(1)


def write_idx(path, dims, payload, gz=False):
    raw = b"\x00\x00\x08" + bytes([len(dims)]) + struct.pack(">" + "I" * len(dims), *dims) + payload
    with open(path, "wb") as f:
        f.write(gzip.compress(raw) if gz else raw)


def make_dataset(d):
    """Real digits when shared/ has them, else images whose bright bar tells the class."""
    os.makedirs(d, exist_ok=True)
    digits = os.path.join(ROOT, "..", "shared", "data", "mnist-digits-10k")
    if os.path.exists(os.path.join(digits, "train-images-idx3-ubyte.gz")):
        x = np.frombuffer(gzip.open(os.path.join(digits, "train-images-idx3-ubyte.gz")).read(), np.uint8, offset=16)
        y = np.frombuffer(gzip.open(os.path.join(digits, "train-labels-idx1-ubyte.gz")).read(), np.uint8, offset=8)
        x = x.reshape(-1, 28, 28)
    else:
        rng = np.random.default_rng(7)
        y = (np.arange(TRAIN + TEST) % 10).astype(np.uint8)
        x = rng.integers(0, 60, (TRAIN + TEST, 28, 28)).astype(np.uint8)
        for i, c in enumerate(y):
            x[i, 2 + 2 * c:5 + 2 * c, 4:24] = 200 + c * 5
    write_idx(os.path.join(d, "train-images-idx3-ubyte"), [TRAIN, 28, 28], x[:TRAIN].tobytes())
    write_idx(os.path.join(d, "train-labels-idx1-ubyte"), [TRAIN], y[:TRAIN].tobytes())
    test = os.path.join(d, "t10k-images-idx3-ubyte.gz")
    write_idx(test, [TEST, 28, 28], x[len(y) - TEST:].tobytes(), gz=True)
    return test


def main():
    exe = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ["CUDANET_TRAIN_EXE"])
    code = snippet()
    work = tempfile.mkdtemp(prefix="cudanet-torch-")
    data = os.path.join(work, "data")
    test_images = make_dataset(data)
    failures = 0
    for flags in ([], ["--standardize"]):
        run = os.path.join(work, "run" + "".join(flags))
        os.makedirs(run)
        ck = os.path.join(run, "run.safetensors")
        shutil.copy(test_images, run)
        for args in ([exe, "--data", data, "--model", "seed-cnn", "--epochs", "1", "--val-split", "0",
                      "--device", "cpu", "--seed", "5", "--quiet", "--save", ck] + flags,
                     [exe, "predict", "--checkpoint", ck, "--images", test_images, "--output",
                      os.path.join(run, "p.npy"), "--device", "cpu"]):
            p = subprocess.run(args, capture_output=True, text=True, timeout=600)
            if p.returncode != 0:
                print(f"FAIL `{' '.join(args)}` exited {p.returncode}: {p.stderr.strip()}")
                return 1
        here = os.getcwd()
        os.chdir(run)
        try:
            scope = {}
            exec(compile(code, f"{DOC} (In PyTorch)", "exec"), scope)
        finally:
            os.chdir(here)
        ours = np.load(os.path.join(run, "p.npy")).astype(np.float64)
        probs = scope["probs"].double().numpy()
        log_probs = scope["logits"].double().log_softmax(dim=1).numpy()
        assert probs.shape == ours.shape == (TEST, 10), (probs.shape, ours.shape)
        dp = np.abs(probs - ours).max()
        normal = ours > np.finfo(np.float32).tiny
        dlogp = np.abs(log_probs - np.log(np.where(normal, ours, 1)))[normal].max()
        ok = dp <= 1e-5 and dlogp <= 1e-4
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} seed-cnn {' '.join(flags) or '(plain)'}: max |dp| {dp:.2e}, "
              f"max |d log p| {dlogp:.2e} over {TEST} images")
    if failures:
        print(f"test_torch_loader: {failures} failed (files kept in {work})")
        return 1
    shutil.rmtree(work)
    print("test_torch_loader: the documented loader gives cudanet's probabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
