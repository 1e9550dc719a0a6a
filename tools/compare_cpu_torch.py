#!/usr/bin/env python3
"""CPU training throughput of the reference model: cudanet against PyTorch on
this machine, in the same run, with the same thread count, as a ratio
(cudanet images/s over PyTorch images/s; the goal is at least 1.0).

Both sides train the same model (Glorot-uniform init, Adam lr 1e-3 eps 1e-7)
on the same kind of resident batches (synthetic normal data, or with --data the
first images of an MNIST folder: real pixels in [0, 1], real labels), and time each step on its
own (median). The two are run alternately for --rounds rounds so that a
change in the machine's load hits both; the median of the rounds is reported.

  tools/compare_cpu_torch.py [--build DIR] [--batch 64] [--threads 2] [--rounds 3] [--json FILE]
                             [--keras-python PYTHON] [--data DIR]

--keras-python names a Python with keras and TensorFlow (pip install keras
tensorflow-cpu, e.g. in a venv): each round then also times Keras's compiled
step (tools/bench_keras.py, graph mode, and xla) and reports cudanet over
TensorFlow as well.

Installs PyTorch from PyPI when it is missing (PyPI's Linux wheel is the CUDA
build, several GB with its NVIDIA libraries; it runs on the CPU all the same).
Builds cudanet-bench (CPU backend) in --build when it is not there yet.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure_torch():
    try:
        import torch  # noqa: F401
        return
    except ImportError:
        pass
    print("compare_cpu_torch: PyTorch missing; installing it from PyPI (large download)", flush=True)
    base = [sys.executable, "-m", "pip", "install", "--quiet", "torch"]
    if subprocess.call(base) != 0 and subprocess.call(base + ["--break-system-packages"]) != 0:
        sys.exit("compare_cpu_torch: could not install torch from PyPI")


def ensure_bench(build):
    exe = os.path.join(build, "apps", "cudanet-bench")
    if not os.path.exists(exe):
        print(f"compare_cpu_torch: building cudanet-bench (CPU backend) in {build}", flush=True)
        subprocess.check_call(["cmake", "-S", ROOT, "-B", build, "-DCUDANET_WITH_CUDA=OFF", "-DCMAKE_BUILD_TYPE=Release"])
        subprocess.check_call(["cmake", "--build", build, "--target", "cudanet-bench", "-j", str(os.cpu_count() or 2)])
    return exe


def run_cudanet(exe, batch, threads, max_seconds, clock, tmp, data):
    out = os.path.join(tmp, "cudanet.json")
    name = f"e2e.train.cpu.b{batch}"
    subprocess.run([exe, "--filter", name, "--no-ceilings", "--threads", str(threads), "--max-seconds",
                    str(max_seconds), "--json", out] + clock + data, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        doc = json.load(f)
    r = next(r for r in doc["results"] if r["name"] == name)
    if r["status"] != "ok":
        sys.exit(f"compare_cpu_torch: cudanet case {name}: {r['status']} {r['note']}")
    return r["median_ms"], r["runs"], doc["meta"]


def run_torch(batch, threads, max_seconds, clock, tmp, data):
    out = os.path.join(tmp, "torch.json")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "bench_torch.py"), "--device", "cpu", "--modes",
                    "eager", "--batch-sizes", str(batch), "--threads", str(threads), "--max-seconds",
                    str(max_seconds), "--json", out] + clock + data, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        doc = json.load(f)
    r = doc["results"][0]
    if r["status"] != "ok":
        sys.exit(f"compare_cpu_torch: PyTorch eager: {r.get('error')}")
    return r["ms_per_step"], r["runs"], doc["meta"]


def run_keras(python, batch, threads, max_seconds, clock, tmp, data):
    """{mode: ms/step} of Keras on TensorFlow, graph and XLA modes."""
    out = os.path.join(tmp, "keras.json")
    subprocess.run([python, os.path.join(ROOT, "tools", "bench_keras.py"), "--modes", "graph,xla", "--batch-sizes",
                    str(batch), "--threads", str(threads), "--max-seconds", str(max_seconds), "--json", out]
                   + clock + data,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        doc = json.load(f)
    return {r["mode"]: r["ms_per_step"] for r in doc["results"] if r["status"] == "ok"}, doc["meta"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build", "cpu"), help="cudanet build folder")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--max-seconds", type=float, default=5.0, help="timing budget of each side per round")
    p.add_argument("--cpu-clock", action="store_true",
                   help="time both sides by process CPU time, not wall time: for a machine busy with other work "
                        "(exact with --threads 1; with more threads it also counts spin-waiting)")
    p.add_argument("--json", default="")
    p.add_argument("--keras-python", default="", help="a Python with keras + tensorflow: time Keras too")
    p.add_argument("--data", default="",
                   help="MNIST-style folder: every side trains on its first images (default: synthetic normal data)")
    args = p.parse_args()
    clock = ["--cpu-clock"] if args.cpu_clock else []
    data = ["--data", os.path.abspath(args.data)] if args.data else []

    ensure_torch()
    exe = ensure_bench(args.build)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            c_ms, c_runs, c_meta = run_cudanet(exe, args.batch, args.threads, args.max_seconds, clock, tmp, data)
            t_ms, t_runs, t_meta = run_torch(args.batch, args.threads, args.max_seconds, clock, tmp, data)
            k_ms, k_meta = (run_keras(args.keras_python, args.batch, args.threads, args.max_seconds, clock, tmp, data)
                            if args.keras_python else ({}, None))
            load = os.getloadavg()[0]
            rows.append({"round": i + 1, "cudanet_ms": c_ms, "torch_ms": t_ms, "cudanet_runs": c_runs,
                         "torch_runs": t_runs, "load1": load, **{f"keras_{m}_ms": v for m, v in k_ms.items()}})
            keras_text = "".join(f", Keras {m} {v:8.2f} ms/step (ratio {v / c_ms:.2f})" for m, v in k_ms.items())
            print(f"round {i + 1}: cudanet {c_ms:8.2f} ms/step ({args.batch * 1e3 / c_ms:7.0f} img/s), "
                  f"PyTorch {t_ms:8.2f} ms/step ({args.batch * 1e3 / t_ms:7.0f} img/s), "
                  f"ratio {t_ms / c_ms:.2f}{keras_text}, load {load:.1f}", flush=True)
    c = statistics.median(r["cudanet_ms"] for r in rows)
    t = statistics.median(r["torch_ms"] for r in rows)
    ratio = statistics.median(r["torch_ms"] / r["cudanet_ms"] for r in rows)
    print(f"\nbatch {args.batch}, {args.threads} threads, {'CPU' if args.cpu_clock else 'wall'} time, "
          f"{'data ' + args.data if args.data else 'synthetic data'}, median of {args.rounds} rounds:")
    print(f"  cudanet  {args.batch * 1e3 / c:8.0f} images/s  ({c:.2f} ms/step, commit {c_meta['commit']})")
    print(f"  PyTorch  {args.batch * 1e3 / t:8.0f} images/s  ({t:.2f} ms/step, torch {t_meta['torch']})")
    print(f"  ratio (cudanet / PyTorch images/s): {ratio:.2f}  goal >= 1.0: {'met' if ratio >= 1.0 else 'NOT met'}")
    keras = {}
    for m in ("graph", "xla"):
        key = f"keras_{m}_ms"
        if all(key in r for r in rows) and rows:
            k = statistics.median(r[key] for r in rows)
            keras[m] = {"images_per_s": args.batch * 1e3 / k,
                        "ratio": statistics.median(r[key] / r["cudanet_ms"] for r in rows)}
            print(f"  Keras {m:<5} {args.batch * 1e3 / k:6.0f} images/s  ({k:.2f} ms/step, keras {k_meta['keras']}, "
                  f"tensorflow {k_meta.get('tensorflow', '?')}); ratio cudanet / Keras {keras[m]['ratio']:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "batch": args.batch,
                       "threads": args.threads, "data": args.data or "synthetic normal(0, 1)", "clock": "process CPU time" if args.cpu_clock else "wall time",
                       "cpu": c_meta["cpu"], "commit": c_meta["commit"],
                       "torch": t_meta["torch"], "rounds": rows, "cudanet_images_per_s": args.batch * 1e3 / c,
                       "torch_images_per_s": args.batch * 1e3 / t, "ratio": ratio, "keras": keras}, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
