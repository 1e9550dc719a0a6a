#!/usr/bin/env python3
"""The reference run in PyTorch, as Keras does it, for an accuracy comparison.

The Keras MNIST CNN (conv32-pool-conv64-pool-conv64-dense64-dense10) with
Keras's defaults: Glorot-uniform kernels, zero biases, Adam lr 1e-3 and
epsilon 1e-7, batch 64, the last 10% of the training images held out for
validation before shuffling, a fresh shuffle every epoch, the last partial
batch kept, pixels scaled to [0, 1]. Prints per-epoch and test accuracy.

  tools/torch_reference_train.py [--data DIR] [--epochs 5] [--seed 0] [--threads 2]
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_torch import reference_model  # noqa: E402  (one definition of the model)


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, f"{path}: not an unsigned-byte IDX file"
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(dir_, stem):
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(dir_, name)):
            return os.path.join(dir_, name)
    raise SystemExit(f"{dir_}: no {stem}[.gz]")


def accuracy(m, x, y, batch=1000):
    m.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = m(x[i:i + batch])
            loss += nn.functional.cross_entropy(out, y[i:i + batch], reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    m.train()
    return correct / len(x), loss / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    x = torch.tensor(read_idx(find(a.data, "train-images-idx3-ubyte")), dtype=torch.float32).unsqueeze(1) / 255
    y = torch.tensor(read_idx(find(a.data, "train-labels-idx1-ubyte")), dtype=torch.int64)
    split = int(len(x) * 0.9)
    xt, yt, xv, yv = x[:split], y[:split], x[split:], y[split:]
    m = reference_model()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
    for epoch in range(a.epochs):
        t0 = time.time()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(m(xt[idx]), yt[idx]).backward()
            opt.step()
        va, vl = accuracy(m, xv, yv)
        print(f"epoch {epoch + 1}/{a.epochs}  val_loss {vl:.4f}  val_accuracy {va:.4f}  {time.time() - t0:.1f}s", flush=True)
    try:
        xs = torch.tensor(read_idx(find(a.data, "t10k-images-idx3-ubyte")), dtype=torch.float32).unsqueeze(1) / 255
        ys = torch.tensor(read_idx(find(a.data, "t10k-labels-idx1-ubyte")), dtype=torch.int64)
        ta, tl = accuracy(m, xs, ys)
        print(f"test accuracy: {ta:.4f}  (loss {tl:.4f}, torch {torch.__version__})")
    except SystemExit as e:
        print(f"no test files: {e}")


if __name__ == "__main__":
    main()
