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
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_torch import reference_model  # noqa: E402  (one definition of the model)
from idx_file import find_file, read_idx  # noqa: E402


def load(folder, stem, scale):
    dims, payload = read_idx(find_file(folder, stem))
    t = torch.frombuffer(bytearray(payload), dtype=torch.uint8).reshape(dims)
    return t.float().div_(255).unsqueeze(1) if scale else t.long()


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
    x = load(a.data, "train-images-idx3-ubyte", True)
    y = load(a.data, "train-labels-idx1-ubyte", False)
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
        xs = load(a.data, "t10k-images-idx3-ubyte", True)
        ys = load(a.data, "t10k-labels-idx1-ubyte", False)
        ta, tl = accuracy(m, xs, ys)
        print(f"test accuracy: {ta:.4f}  (loss {tl:.4f}, torch {torch.__version__})")
    except FileNotFoundError as e:
        print(f"no test files: {e}")


if __name__ == "__main__":
    main()
