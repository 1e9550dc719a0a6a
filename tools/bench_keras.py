#!/usr/bin/env python3
"""The reference model's training step in Keras, timed as bench_torch.py times
PyTorch on the CPU, for the side-by-side comparison with TensorFlow.

The model of tools/keras_reference_train.py (Keras defaults: glorot_uniform,
zero biases, Adam lr 1e-3 epsilon 1e-7, sparse cross-entropy on logits) trains
with model.train_on_batch on DATA_BATCHES resident batches, cycled: synthetic
normal(0, 1) images, or with --data the first images of an MNIST-style folder.
Each step is timed on its own after a warm-up (the first call traces and, with
XLA, compiles); the median is reported. train_on_batch returns the loss to
Python each step; on the CPU that read costs nothing next to the step.

Modes: graph (Keras's compiled tf.function step, jit_compile=False) and xla
(jit_compile=True); "auto" is Keras's default choice. Needs keras and a backend
(pip install keras tensorflow-cpu); not part of the build or the tests.

  tools/bench_keras.py [--batch-sizes 64 512] [--threads 2] [--modes graph,xla]
                       [--max-seconds 3] [--cpu-clock] [--data DIR] [--json FILE]
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_reference_train import load, reference_model, set_threads  # noqa: E402
from host_info import cpu_model  # noqa: E402

DATA_BATCHES = 8
SEED = 1234
JIT = {"graph": False, "xla": True, "auto": "auto"}


def make_batches(batch, data_dir):
    """DATA_BATCHES batches: the first images of data_dir, else synthetic normal(0, 1)."""
    n = DATA_BATCHES * batch
    if data_dir:
        x = load(data_dir, "train-images-idx3-ubyte", True)
        y = load(data_dir, "train-labels-idx1-ubyte", False).astype(np.int32)
        if len(x) < n:
            raise SystemExit(f"bench_keras: --data {data_dir}: {len(x)} images, batch {batch} needs {n}")
        return [x[i * batch:(i + 1) * batch] for i in range(DATA_BATCHES)], \
            [y[i * batch:(i + 1) * batch] for i in range(DATA_BATCHES)]
    rng = np.random.default_rng(SEED)
    xs = [rng.standard_normal((batch, 28, 28, 1), dtype=np.float32) for _ in range(DATA_BATCHES)]
    ys = [rng.integers(0, 10, batch).astype(np.int32) for _ in range(DATA_BATCHES)]
    return xs, ys


def time_mode(keras, mode, batch, args):
    keras.utils.set_random_seed(SEED)
    xs, ys = make_batches(batch, args.data)
    xs = [keras.ops.convert_to_tensor(x) for x in xs]
    ys = [keras.ops.convert_to_tensor(y) for y in ys]
    model = reference_model(keras)
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=JIT[mode])
    for i in range(args.warmup):
        model.train_on_batch(xs[i % DATA_BATCHES], ys[i % DATA_BATCHES])
    clock = time.process_time if args.cpu_clock else time.perf_counter
    per_step, began, i = [], time.perf_counter(), 0
    while len(per_step) < args.repeats:
        t0 = clock()
        model.train_on_batch(xs[i % DATA_BATCHES], ys[i % DATA_BATCHES])
        per_step.append((clock() - t0) * 1e3)
        i += 1
        if len(per_step) >= 3 and time.perf_counter() - began > args.max_seconds:
            break
    return per_step


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 512])
    p.add_argument("--modes", default="graph,xla", help="comma-separated: graph, xla, auto")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=50, help="timed steps at most")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first (tracing, compiling)")
    p.add_argument("--max-seconds", type=float, default=3.0, help="stop repeating a mode past this (at least 3 runs)")
    p.add_argument("--cpu-clock", action="store_true", help="time by process CPU time, not wall time")
    p.add_argument("--data", default="", help="MNIST-style folder: train on its first images (default: synthetic)")
    p.add_argument("--json", default="")
    args = p.parse_args(argv)
    for m in args.modes.split(","):
        if m not in JIT:
            p.error(f"--modes: unknown mode '{m}' (expected graph, xla or auto)")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    set_threads(args.threads)
    import keras
    backend = keras.backend.backend()
    versions = {"keras": keras.__version__, "backend": backend}
    if backend == "tensorflow":
        import tensorflow as tf
        versions["tensorflow"] = tf.__version__
    doc = {"meta": {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **versions, "cpu": cpu_model(),
                    "threads": args.threads, "clock": "process CPU time" if args.cpu_clock else "wall time",
                    "optimizer": "keras Adam lr 1e-3 epsilon 1e-7", "data": args.data or "synthetic normal(0, 1)"},
           "results": []}
    print(f"keras {keras.__version__} on {backend} {versions.get('tensorflow', '')}; {args.threads} threads; "
          f"{doc['meta']['clock']}")
    print(f"{'mode':<6} {'batch':>5} {'ms/step':>10} {'images/s':>10}")
    failures = 0
    for mode in args.modes.split(","):
        for batch in args.batch_sizes:
            row = {"mode": mode, "batch": batch, "device": "cpu"}
            try:
                ms = time_mode(keras, mode, batch, args)
                med = statistics.median(ms)
                row.update(status="ok", ms_per_step=med, runs=len(ms), images_per_s=batch * 1e3 / med)
                print(f"{mode:<6} {batch:>5} {med:>10.3f} {batch * 1e3 / med:>10.0f}", flush=True)
            except Exception as e:  # a mode this backend cannot run is reported, not fatal
                failures += 1
                row.update(status="failed", error=f"{type(e).__name__}: {e}"[:500])
                print(f"{mode:<6} {batch:>5} failed: {row['error']}", flush=True)
            doc["results"].append(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
