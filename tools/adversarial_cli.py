#!/usr/bin/env python3
"""Replays a table of adversarial command lines against cudanet-train.

    tools/adversarial_cli.py BUILD/apps/cudanet-train [--keep DIR] [-v]

Each case is what a careless or hostile user gives the trainer: bad flags,
models, files and checkpoints. For each the table holds the exit status
expected and a pattern its first line on standard error must match. Every
error must also be exactly one line, prefixed "cudanet-train: error:", with no
source location, within a time limit (a hang is a failure). The fixtures (a
tiny dataset, corrupt and mismatched files, a checkpoint and hostile edits of
it) are made here, with the standard library only. Exits 1 when a case fails.
"""
import gzip
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 120


def write_idx(path, dims, payload, gz=False):
    raw = b"\x00\x00\x08" + bytes([len(dims)]) + struct.pack(">" + "I" * len(dims), *dims) + payload
    with open(path, "wb") as f:
        f.write(gzip.compress(raw) if gz else raw)


def dataset(root, name, n=64, side=28, test_side=None, test_images=True, test_labels=True):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    labels = bytes(i % 10 for i in range(n))
    for split, s, img, lab in (("train", side, True, True), ("t10k", test_side or side, test_images, test_labels)):
        pixels = bytes((i * 31 + p * 7) % 251 for i in range(n) for p in range(s * s))
        if img:
            write_idx(os.path.join(d, f"{split}-images-idx3-ubyte"), [n, s, s], pixels)
        if lab:
            write_idx(os.path.join(d, f"{split}-labels-idx1-ubyte"), [n], labels)
    return d


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def write_safetensors(path, header, data):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def edited(src, dst, meta=None, drop=(), nan_in=None):
    """A copy of checkpoint src with metadata keys set or dropped, or one float made NaN."""
    header, data = read_safetensors(src)
    for k, v in (meta or {}).items():
        header["__metadata__"][k] = v
    for k in drop:
        header["__metadata__"].pop(k, None)
    if nan_in:
        start = header[nan_in]["data_offsets"][0]
        data = data[:start] + struct.pack("<f", float("nan")) + data[start + 4:]
    write_safetensors(dst, header, data)
    return dst


def run(exe, args, cwd):
    t0 = time.time()
    try:
        p = subprocess.run([exe] + args, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, "", "", time.time() - t0
    return p.returncode, p.stdout, p.stderr, time.time() - t0


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    exe = os.path.abspath(sys.argv[1])
    verbose = "-v" in sys.argv
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    root = keep or tempfile.mkdtemp(prefix="cudanet-adversarial-")
    os.makedirs(root, exist_ok=True)
    try:
        return replay(exe, root, verbose)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def replay(exe, root, verbose):
    j = lambda *p: os.path.join(root, *p)  # noqa: E731
    data = dataset(root, "data")
    dataset(root, "data32", side=32, test_side=28)
    dataset(root, "labels-only", test_images=False)
    corrupt = dataset(root, "corrupt")
    with open(os.path.join(corrupt, "train-images-idx3-ubyte"), "r+b") as f:
        f.truncate(1000)
    dangling = os.path.join(root, "dangling")
    os.makedirs(dangling, exist_ok=True)
    os.symlink("/nonexistent/train-images", os.path.join(dangling, "train-images-idx3-ubyte"))
    os.makedirs(j("a-folder"), exist_ok=True)
    base = ["--device", "cpu", "--data", data, "--epochs", "1", "--quiet"]
    ck = j("run.safetensors")
    code, out, err, _ = run(exe, base + ["--model", "flatten-dense16-relu-dense10", "--save", ck], root)
    if code != 0:
        print(f"adversarial_cli: the fixture checkpoint could not be trained:\n{out}{err}", file=sys.stderr)
        return 1
    hostile = {
        "lr-abc": ({"lr": "abc"}, "metadata 'lr' must be a finite number"),
        "lr-nan": ({"lr": "nan"}, "metadata 'lr' must be a finite number"),
        "epoch-huge": ({"epoch": "99999999999"}, "metadata 'epoch' must be an integer from 0 to 100000"),
        "batch-huge": ({"batch": "1000000"}, "metadata 'batch' must be at most the 1 batches"),
        "step-negative": ({"global_step": "-1"}, "metadata 'global_step' must be an integer from 0"),
        "seed-overflow": ({"seed": "18446744073709551616"}, "metadata 'seed' must be an integer"),
        "classes-zero": ({"num_classes": "0"}, "metadata 'num_classes' must be an integer from 1"),
        "std-zero": ({"pixel_std": "0"}, "metadata 'pixel_std' must be a number above 0"),
        "shape-bad": ({"input_shape": "1,0,28"}, "metadata 'input_shape' must be an integer from 1"),
        "version": ({"format_version": "2"}, "metadata 'format_version' is 2"),
        "model-long": ({"model": "flatten-dense" + "9" * 30000}, "metadata 'model' is not a model: .*longer than"),
        "model-bogus": ({"model": "flatten-bogus10"}, "metadata 'model' is not a model"),
        "optimizer": ({"optimizer": "lbfgs"}, "metadata 'optimizer' must be sgd, adam"),
        "history": ({"history": "5,1,1,1,1"}, "metadata 'history'"),
    }
    for name, (meta, _) in hostile.items():
        edited(ck, j(f"ck-{name}.safetensors"), meta)
    edited(ck, j("ck-missing-lr.safetensors"), drop=["lr"])
    edited(ck, j("ck-nan.safetensors"), nan_in="model.1.weight")
    with open(ck, "rb") as f, open(j("ck-truncated.safetensors"), "wb") as g:
        g.write(f.read()[:100])

    E = "cudanet-train: error: "
    cases = [
        # (name, args, exit status, pattern of the first line of stderr)
        ("unknown flag", ["--bogus"], 2, E + "The following argument was not expected: --bogus"),
        ("unknown optimizer", ["--optimizer", "foo"], 2, E + "--optimizer: foo not in"),
        ("zero epochs", ["--epochs", "0"], 2, E + "--epochs: 0 is not an integer from 1"),
        ("lr nan", ["--lr", "nan"], 2, E + "--lr: nan is not a finite number"),
        ("lr inf", ["--lr", "inf"], 2, E + "--lr: inf is not a finite number"),
        ("momentum nan", ["--momentum", "nan"], 2, E + "--momentum: nan is not a finite number"),
        ("weight decay nan", ["--weight-decay", "nan"], 2, E + "--weight-decay: nan"),
        ("clip norm nan", ["--clip-norm", "nan"], 2, E + "--clip-norm: nan"),
        ("warm-up overflow", ["--warmup-steps", "99999999999999999999"], 2, E + "--warmup-steps: 9+ is not an integer"),
        ("negative batch", ["--batch-size", "-1"], 2, E + "--batch-size"),
        ("threads", ["--threads", "99999"], 2, E + "--threads: 99999 is not an integer from 0 to 1024"),
        ("negative seed", ["--seed", "-1"], 2, E + "--seed: -1 is not an integer"),
        ("val split 1", ["--val-split", "1"], 2, E + "--val-split: 1 is not a finite number from 0 to 0.99"),
        ("device", ["--device", "tpu"], 2, E + "--device"),
        ("predict without checkpoint", ["predict", "--images", j("x")], 2, E + "--checkpoint is required"),
        ("eval batch 0", ["eval", "--checkpoint", ck, "--batch-size", "0"], 2, E + "--batch-size: 0"),
        ("kernel overflow", base + ["--model", "conv32x99999999999-relu-flatten-dense10"], 1,
         E + "model description .*the kernel size 99999999999 is out of range"),
        ("units beyond int", base + ["--model", "flatten-dense4294967306"], 1,
         E + "model description .*'dense4294967306': the unit count 4294967306 is out of range"),
        ("long model", base + ["--model", "flatten-dense" + "-relu" * 20000], 1, E + "model description .*longer than"),
        ("no class logits", base + ["--model", "conv10x3-flatten"], 1, E + "model description .*produces"),
        ("too large", base + ["--model", "flatten-dense100000000-dense10"], 1, E + "the model .* needs about .* GiB"),
        ("missing folder", ["--device", "cpu", "--data", j("nope")], 1, E + "MNIST dataset folder .* does not exist"),
        ("corrupt images", ["--device", "cpu", "--data", corrupt], 1, E + "IDX file .*train-images"),
        ("dangling link", ["--device", "cpu", "--data", dangling], 1, E + ".*symbolic link to '/nonexistent/train-images'"),
        ("test 28 vs train 32", ["--device", "cpu", "--data", j("data32"), "--epochs", "1"], 1,
         E + "test images .*t10k-images-idx3-ubyte': images \\(1, 28, 28\\), but the training images"),
        ("save into missing folder", base + ["--save", j("nope", "x.safetensors")], 1, E + "--save .*cannot write"),
        ("save onto a folder", base + ["--save", j("a-folder")], 1, E + "--save .*cannot write"),
        ("plot into missing folder", base + ["--plot", j("nope", "x.svg")], 1, E + "--plot .*cannot write"),
        ("log into missing folder", base + ["--log", j("nope", "x.jsonl")], 1, E + "--log .*cannot write"),
        ("resume other model", ["--device", "cpu", "--data", data, "--resume", ck, "--model", "mlp"], 2,
         E + "--model .*leave --model out"),
        ("resume other seed", ["--device", "cpu", "--data", data, "--resume", ck, "--seed", "5", "--epochs", "2"], 2,
         E + "--seed 5"),
        ("truncated checkpoint", ["eval", "--device", "cpu", "--data", data, "--checkpoint", j("ck-truncated.safetensors")],
         1, E + "safetensors file .*ck-truncated"),
        ("missing checkpoint", ["eval", "--device", "cpu", "--data", data, "--checkpoint", j("none.safetensors")], 1,
         E + "cannot read .*none.safetensors': No such file"),
        ("NaN weights", ["eval", "--device", "cpu", "--data", data, "--checkpoint", j("ck-nan.safetensors")], 1,
         E + "checkpoint .*'1.weight' holds 1 NaN or infinite values"),
        ("missing lr", ["eval", "--device", "cpu", "--data", data, "--checkpoint", j("ck-missing-lr.safetensors")], 1,
         E + "checkpoint .*metadata 'lr' is missing"),
        ("predict corrupt images", ["predict", "--device", "cpu", "--checkpoint", ck, "--images",
                                    os.path.join(corrupt, "train-images-idx3-ubyte")], 1, E + "IDX file"),
        ("diverging loss", base + ["--optimizer", "sgd", "--lr", "1e30", "--model", "mlp", "--batch-size", "8"], 1,
         E + "the training loss became (NaN|infinite) in epoch 1"),
        ("test labels only", ["--device", "cpu", "--data", j("labels-only"), "--epochs", "1", "--quiet",
                              "--model", "flatten-dense10"], 0,
         "cudanet-train: warning: .* has test labels .* but no test images"),
    ]
    for name, (_, pattern) in hostile.items():
        for cmd in (["eval", "--device", "cpu", "--data", data, "--checkpoint"],
                    ["predict", "--device", "cpu", "--images", os.path.join(data, "t10k-images-idx3-ubyte"), "--checkpoint"],
                    ["--device", "cpu", "--data", data, "--epochs", "3", "--resume"]):
            cases.append((f"checkpoint {name} ({cmd[0] if cmd[0] != '--device' else 'resume'})",
                          cmd + [j(f"ck-{name}.safetensors")], 1, E + "checkpoint .*" + pattern))

    failed = 0
    t0 = time.time()
    for name, args, want_code, pattern in cases:
        code, out, err, seconds = run(exe, args, root)
        first = err.splitlines()[0] if err else ""
        problems = []
        if code is None:
            problems.append(f"no answer within {TIMEOUT_S} s")
        else:
            if code != want_code:
                problems.append(f"exit status {code}, expected {want_code}")
            if not re.match(pattern, first):
                problems.append(f"first line does not match {pattern!r}")
            if want_code != 0 and err.count("\n") != 1:
                problems.append(f"{err.count(chr(10))} lines on stderr, expected 1")
            if re.search(r"\.(cpp|h|cu):\d+", err):
                problems.append("a source location leaks into the message")
        failed += bool(problems)
        if problems or verbose:
            print(f"{'FAIL' if problems else 'ok  '} {name} [{code}] {seconds:.1f}s: {first[:300]}")
            for p in problems:
                print(f"       {p}")
    print(f"adversarial_cli: {len(cases) - failed} of {len(cases)} cases as expected in {time.time() - t0:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
