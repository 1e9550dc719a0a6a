#!/usr/bin/env python3
"""`cudanet-train export` against onnx's checker and onnxruntime, for every layer kind.

    tests/python/test_onnx_export.py BUILD/apps/cudanet-train [-v]

For each model below (together they hold every layer the description language
has: conv with stride, padding and 'same'; max and average pooling, with
padding; relu, leakyrelu, sigmoid, tanh, flatten, dense, dropout, bn on 4-D and
2-D inputs; and a standardised run) the test trains one short epoch with
cudanet-train on the CPU, exports the checkpoint, checks the file with
onnx.checker.check_model(full_check=True), runs it in onnxruntime on the test
images (raw pixels 0..255 as float32, the graph's input convention) and
compares:

  probabilities  onnxruntime's "probabilities" output with cudanet's own, from
                 `cudanet-train predict --output p.npy`: max |diff| <= 1e-5
                 (float32 softmax values below 1, computed by two engines).
  logits, shift  cudanet-train prints no logits, only softmax probabilities;
                 log p is the logits less a per-image constant (log-sum-exp),
                 so onnxruntime's log_softmax(logits) is compared with
                 log(cudanet's p): max |diff| <= 1e-4. This is cudanet's own
                 output, but blind to a constant added to all of an image's logits.
  logits         so onnxruntime's "logits" are also compared, absolutely, with a
                 float64 NumPy forward pass of the checkpoint's weights (read
                 from the safetensors file here): max |diff| <= 1e-4. Logits of
                 these models are O(10) and each is a float32 sum of at most a
                 few thousand products: float32 rounding stays near 1e-5.

It also checks that a missing checkpoint, an --onnx path in a missing folder
and a checkpoint that does not record its image shape are each refused in one
line, exit status 1.

Exits 0 when every comparison holds, 1 when one fails, and 77 (reported as
skipped by ctest) when numpy, onnx or onnxruntime is not installed, or the
trainer was built without ONNX. The digits come from ../shared/data/mnist-digits-10k
when it is there, else from synthetic images.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

SKIP = 77
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
except ImportError as e:
    print(f"skipped: {e.name} is not installed (pip install numpy onnx onnxruntime)")
    sys.exit(SKIP)

from idx_file import read_idx  # noqa: E402  (tools/, after the skip)

TRAIN, TEST = 512, 200

# (what it covers, description, extra training flags)
MODELS = [
    ("conv stride+padding", "conv8x3s2p1-relu-flatten-dense10", []),
    ("conv same, maxpool", "conv6x5same-relu-maxpool2-flatten-dense10", []),
    ("maxpool padded", "conv4x3-relu-maxpool3s2p1-flatten-dense10", []),
    ("avgpool padded", "conv4x3-relu-avgpool3s2p1-flatten-dense10", []),
    ("leakyrelu, avgpool", "conv4x3-leakyrelu0.2-avgpool2-flatten-dense10", []),
    ("leakyrelu default", "flatten-dense32-leakyrelu-dense10", []),
    ("sigmoid", "conv4x3-sigmoid-maxpool2-flatten-dense10", []),
    ("tanh", "flatten-dense32-tanh-dense10", []),
    ("dropout", "flatten-dense64-relu-dropout0.3-dense10", []),
    ("dropout last", "flatten-dense10-dropout0.5", []),
    ("bn 4-D and 2-D", "conv8x3-bn-relu-maxpool2-flatten-dense32-bn-relu-dense10", []),
    ("standardized", "seed-cnn", ["--standardize"]),
]


def write_idx(path, dims, payload):
    raw = b"\x00\x00\x08" + bytes([len(dims)]) + struct.pack(">" + "I" * len(dims), *dims) + payload
    with open(path, "wb") as f:
        f.write(raw)


def make_dataset(d):
    """TRAIN training and TEST test images: real digits when shared/ has them."""
    os.makedirs(d, exist_ok=True)
    digits = os.path.join(ROOT, "..", "shared", "data", "mnist-digits-10k")
    if os.path.exists(os.path.join(digits, "train-images-idx3-ubyte.gz")):
        _, pixels = read_idx(os.path.join(digits, "train-images-idx3-ubyte.gz"))
        _, labels = read_idx(os.path.join(digits, "train-labels-idx1-ubyte.gz"))
        x = np.frombuffer(pixels, np.uint8).reshape(-1, 28, 28)
        y = np.frombuffer(labels, np.uint8)
        source = "MNIST digits"
    else:
        rng = np.random.default_rng(7)
        y = (np.arange(TRAIN + TEST) % 10).astype(np.uint8)
        x = rng.integers(0, 60, (TRAIN + TEST, 28, 28)).astype(np.uint8)
        for i, c in enumerate(y):  # a bright bar whose place tells the class
            x[i, 2 + 2 * c:5 + 2 * c, 4:24] = 200 + c * 5
        source = "synthetic images"
    for split, lo, hi in (("train", 0, TRAIN), ("t10k", len(y) - TEST, len(y))):
        write_idx(os.path.join(d, f"{split}-images-idx3-ubyte"), [hi - lo, 28, 28], x[lo:hi].tobytes())
        write_idx(os.path.join(d, f"{split}-labels-idx1-ubyte"), [hi - lo], y[lo:hi].tobytes())
    return x[len(y) - TEST:], source


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=600)


def read_checkpoint(path):
    """The model's tensors ({"model.0.weight": float64 array, ...}) and the
    metadata of a cudanet checkpoint (safetensors)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, e in header.items():
        if not name.startswith(("model.", "buffer.")):
            continue  # the optimizer's state
        assert e["dtype"] == "F32", (name, e["dtype"])
        lo, hi = e["data_offsets"]
        tensors[name] = np.frombuffer(data[lo:hi], "<f4").reshape(e["shape"]).astype(np.float64)
    return tensors, meta


def without_input_shape(src, dst):
    """src as a checkpoint from before cudanet recorded the image shape."""
    with open(src, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    del header["__metadata__"]["input_shape"]
    text = json.dumps(header, separators=(",", ":")).encode()
    assert len(text) <= n, "the shorter header keeps the data where it was"
    text = text.ljust(n)
    with open(dst, "wb") as f:
        f.write(raw[:8] + text + raw[8 + n:])


def windows(x, k, s):
    """(N, C, H, W) -> (N, C, OH, OW, k, k) views of every k x k window at stride s."""
    v = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))
    return v[:, :, ::s, ::s]


def tokens(description):
    """The layers of a description (a checkpoint holds it with zoo names spelled
    out): (kind, numbers...) with the language's defaults."""
    out = []
    for t in description.split("-"):
        if m := re.fullmatch(r"conv(\d+)x(\d+)(?:s(\d+))?(?:p(\d+)|(same))?", t):
            k = int(m[2])
            out.append(("conv", k, int(m[3] or 1), (k - 1) // 2 if m[5] else int(m[4] or 0)))
        elif m := re.fullmatch(r"(max|avg)?pool(\d+)(?:s(\d+))?(?:p(\d+))?", t):
            k = int(m[2])
            out.append((m[1] or "max", k, int(m[3] or k), int(m[4] or 0)))
        elif m := re.fullmatch(r"leakyrelu([\d.]*)", t):
            out.append(("leakyrelu", float(m[1] or 0.01)))
        elif m := re.fullmatch(r"(dense|dropout)([\d.]+)", t):
            out.append((m[1],))
        else:
            out.append((t,))
    return out


def reference_logits(checkpoint, pixels):
    """The checkpoint's model in float64 NumPy, on pixels scaled as cudanet scales them."""
    w, meta = read_checkpoint(checkpoint)
    x = pixels.astype(np.float32)[:, None] * np.float32(1 / 255)
    mean, std = float(meta.get("pixel_mean", 0)), float(meta.get("pixel_std", 1))
    if mean != 0 or std != 1:
        x = (x - np.float32(mean)) * np.float32(1 / std)
    x = x.astype(np.float64)
    for i, (kind, *a) in enumerate(tokens(meta["model"])):
        p = lambda name: w.get(f"model.{i}.{name}", w.get(f"buffer.{i}.{name}"))  # noqa: E731
        if kind == "conv":
            k, s, pad = a
            xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
            x = np.einsum("nchwij,ocij->nohw", windows(xp, k, s), p("weight")) + p("bias")[None, :, None, None]
        elif kind in ("max", "avg"):
            k, s, pad = a
            xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)),
                        constant_values=-np.inf if kind == "max" else 0)
            v = windows(xp, k, s)
            x = v.max(axis=(4, 5)) if kind == "max" else v.sum(axis=(4, 5)) / (k * k)  # padding counted
        elif kind == "relu":
            x = np.maximum(x, 0)
        elif kind == "leakyrelu":
            x = np.where(x > 0, x, a[0] * x)
        elif kind == "sigmoid":
            x = 1 / (1 + np.exp(-x))
        elif kind == "tanh":
            x = np.tanh(x)
        elif kind == "flatten":
            x = x.reshape(len(x), -1)
        elif kind == "dense":
            x = x @ p("weight").T + p("bias")
        elif kind == "bn":
            shape = (1, -1) + (1,) * (x.ndim - 2)
            inv = 1 / np.sqrt(p("running_var") + 1e-5)
            x = (x - p("running_mean").reshape(shape)) * (inv * p("weight")).reshape(shape) + p("bias").reshape(shape)
        elif kind != "dropout":
            raise ValueError(f"layer {kind} has no reference here")
    return x


def log_softmax(z):
    z = z.astype(np.float64)
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def main():
    exe = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ["CUDANET_TRAIN_EXE"])
    work = tempfile.mkdtemp(prefix="cudanet-onnx-")
    # Errors first: they say which build this is.
    missing = run([exe, "export", "--checkpoint", os.path.join(work, "none.safetensors"),
                   "--onnx", os.path.join(work, "none.onnx")])
    if "built without ONNX" in missing.stderr:
        print(f"skipped: {exe} was built without ONNX: {missing.stderr.strip()}")
        return SKIP
    failures = []

    def expect_error(what, p, says):
        lines = p.stderr.strip().splitlines()
        ok = (p.returncode == 1 and len(lines) == 1 and lines[0].startswith("cudanet-train: error: ")
              and says in lines[0])
        print(f"{'ok  ' if ok else 'FAIL'} {what}: exit {p.returncode}: {p.stderr.strip()}")
        if not ok:
            failures.append(what)

    expect_error("missing checkpoint", missing, "none.safetensors")

    data = os.path.join(work, "data")
    test_pixels, source = make_dataset(data)
    images = os.path.join(data, "t10k-images-idx3-ubyte")
    feed = test_pixels.astype(np.float32)[:, None]  # (N, 1, 28, 28), raw 0..255
    print(f"data: {TRAIN} training and {TEST} test images of {source}")
    print(f"{'layers':22} {'max|dp|':>9} {'max|dlogp|':>11} {'max|dlogit|':>12}  model")
    for index, (what, model, flags) in enumerate(MODELS):
        ck, onnx_path, npy = (os.path.join(work, f"model{index}.{ext}") for ext in ("safetensors", "onnx", "npy"))
        steps = [
            [exe, "--data", data, "--model", model, "--epochs", "1", "--limit", str(TRAIN), "--val-split", "0",
             "--device", "cpu", "--seed", "3", "--quiet", "--save", ck] + flags,
            [exe, "export", "--checkpoint", ck, "--onnx", onnx_path],
            [exe, "predict", "--checkpoint", ck, "--images", images, "--output", npy, "--device", "cpu"],
        ]
        failed = next((p for p in map(run, steps) if p.returncode != 0), None)
        if failed:
            print(f"FAIL {what}: `{' '.join(failed.args)}` exited {failed.returncode}: {failed.stderr.strip()}")
            failures.append(what)
            continue
        m = onnx.load(onnx_path)
        onnx.checker.check_model(m, full_check=True)
        session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        (inp,) = session.get_inputs()
        assert inp.name == "pixels" and inp.shape == ["N", 1, 28, 28] and inp.type == "tensor(float)", inp
        assert [o.name for o in session.get_outputs()] == ["logits", "probabilities"]
        logits, probs = session.run(None, {"pixels": feed})
        ours = np.load(npy)
        assert logits.shape == probs.shape == ours.shape == (TEST, 10), (logits.shape, probs.shape, ours.shape)
        dp = np.abs(probs.astype(np.float64) - ours).max()
        normal = ours > np.finfo(np.float32).tiny  # log of a normal float32 keeps its precision
        dlogp = np.abs(log_softmax(logits) - np.log(np.where(normal, ours, 1).astype(np.float64)))[normal].max()
        dlogit = np.abs(logits - reference_logits(ck, test_pixels)).max()
        ok = dp <= 1e-5 and dlogp <= 1e-4 and dlogit <= 1e-4 and np.array_equal(probs.argmax(1), ours.argmax(1))
        print(f"{what:22} {dp:9.2e} {dlogp:11.2e} {dlogit:12.2e}  {model}{' ' + ' '.join(flags) if flags else ''}"
              f"{'' if ok else '  FAIL'}")
        if not ok:
            failures.append(what)

    ck = os.path.join(work, "model0.safetensors")
    expect_error("unwritable --onnx", run([exe, "export", "--checkpoint", ck, "--onnx",
                                           os.path.join(work, "no-such-folder", "m.onnx")]), "--onnx")
    old = os.path.join(work, "old.safetensors")
    without_input_shape(ck, old)
    expect_error("checkpoint without its image shape", run([exe, "export", "--checkpoint", old, "--onnx",
                                                            os.path.join(work, "old.onnx")]), "image shape")
    if failures:
        print(f"test_onnx_export: {len(failures)} failed: {', '.join(failures)} (files kept in {work})")
        return 1
    shutil.rmtree(work)
    print(f"test_onnx_export: {len(MODELS)} models exported and matched, error cases ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
