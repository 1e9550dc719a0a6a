#!/usr/bin/env python3
"""The reference model in PyTorch, timed the way cudanet-bench times its
end-to-end cases, for a side-by-side comparison on the same machine.

Model: Conv2d(1,32,3)-ReLU-MaxPool2-Conv2d(32,64,3)-ReLU-MaxPool2-Conv2d(64,64,3)-
ReLU-Flatten-Linear(576,64)-ReLU-Linear(64,10), Glorot-uniform weights and zero
biases (Keras's defaults, as cudanet's layers), cross-entropy on integer
labels, Adam lr 1e-3 eps 1e-7 (Keras's epsilon, as cudanet's Adam).

Data stays on the device: kDataBatches batches are made (or loaded) once and
cycled through, as cudanet-bench's e2e cases do. A training step is zero_grad,
forward, loss, backward, optimizer step. CUDA: windows of --steps steps between
two CUDA events, median over windows; CPU: each step timed on its own, median.

Modes: eager; CUDA graphs (the whole step captured, static inputs refilled by a
device copy each step); torch.compile of the model (a failure is reported, not
fatal). TF32 is OFF unless --tf32, matching cudanet-bench's default.

  tools/bench_torch.py [--device cuda|cpu] [--batch-sizes 64 512]
                       [--modes eager,graphs,compile] [--json FILE] [--tf32]
                       [--cudanet BENCH.json]   # cudanet-bench's e2e rows beside these
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ModuleNotFoundError as e:
    if e.name != "torch":
        raise
    sys.exit(f"bench_torch: needs PyTorch, which {sys.executable} lacks: install it with `{sys.executable} -m pip "
             "install torch` (add --break-system-packages where pip refuses; tools/compare_cpu_torch.py installs it itself)")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import idx_file  # noqa: E402
from host_info import cpu_model  # noqa: E402
from idx_file import find_file  # noqa: E402

DATA_BATCHES = 8
SEED = 1234


def reference_model():
    m = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(),
        nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10))
    for layer in m:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            # Keras's glorot_uniform: fans include the receptive field, as torch's do.
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return m


def read_idx(path):
    dims, payload = idx_file.read_idx(path)
    return torch.frombuffer(bytearray(payload), dtype=torch.uint8).reshape(dims)


def make_data(batch, device, data_dir):
    n = DATA_BATCHES * batch
    if data_dir:
        images = read_idx(find_file(data_dir, "train-images-idx3-ubyte"))
        labels = read_idx(find_file(data_dir, "train-labels-idx1-ubyte"))
        reps = (n + len(labels) - 1) // len(labels)
        x = images.repeat(reps, 1, 1)[:n].float().div_(255).unsqueeze(1)
        y = labels.repeat(reps)[:n].long()
    else:
        g = torch.Generator().manual_seed(SEED)
        x = torch.randn(n, 1, 28, 28, generator=g)
        y = torch.randint(0, 10, (n,), generator=g)
    return x.to(device).contiguous(), y.to(device).contiguous()


def make_optimizer(model, device, capturable=False):
    kw = {"lr": 1e-3, "eps": 1e-7}
    if device.type == "cuda" and capturable:
        kw["capturable"] = True
    return torch.optim.Adam(model.parameters(), **kw)


class Stepper:
    """One mode's training step over the resident batches."""

    def __init__(self, mode, batch, device, data_dir):
        torch.manual_seed(SEED)
        self.device = device
        self.batch = batch
        self.x, self.y = make_data(batch, device, data_dir)
        self.i = 0
        model = reference_model().to(device)
        self.model = model
        self.opt = make_optimizer(model, device, capturable=(mode == "graphs"))
        if mode == "compile":
            self.model = torch.compile(model)
        self.run = self.eager_step
        if mode == "graphs":
            self.capture()

    def next_batch(self):
        b = self.i % DATA_BATCHES
        self.i += 1
        s = slice(b * self.batch, (b + 1) * self.batch)
        return self.x[s], self.y[s]

    def eager_step(self):
        x, y = self.next_batch()
        self.opt.zero_grad()
        loss = F.cross_entropy(self.model(x), y)
        loss.backward()
        self.opt.step()
        return loss

    def capture(self):
        # torch.cuda.graphs' whole-network recipe: warm up on a side stream
        # (allocates grads and optimizer state), then capture one step.
        self.static_x = self.x[:self.batch].clone()
        self.static_y = self.y[:self.batch].clone()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                self.opt.zero_grad(set_to_none=True)
                F.cross_entropy(self.model(self.static_x), self.static_y).backward()
                self.opt.step()
        torch.cuda.current_stream().wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        self.opt.zero_grad(set_to_none=True)
        with torch.cuda.graph(self.graph):
            self.static_loss = F.cross_entropy(self.model(self.static_x), self.static_y)
            self.static_loss.backward()
            self.opt.step()
        self.run = self.graph_step

    def graph_step(self):
        x, y = self.next_batch()
        self.static_x.copy_(x)
        self.static_y.copy_(y)
        self.graph.replay()
        return self.static_loss


def time_mode(stepper, args):
    """ms per step: the median over windows (CUDA) or single steps (CPU)."""
    for _ in range(args.warmup):
        stepper.run()
    if stepper.device.type == "cuda":
        torch.cuda.synchronize()
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        per_step, began = [], time.perf_counter()
        while len(per_step) < args.repeats:
            start.record()
            for _ in range(args.steps):
                stepper.run()
            stop.record()
            stop.synchronize()
            per_step.append(start.elapsed_time(stop) / args.steps)
            if len(per_step) >= 3 and time.perf_counter() - began > args.max_seconds:
                break
    else:
        # --cpu-clock: process CPU time, as cudanet-bench --cpu-clock (a busy machine).
        clock = time.process_time if args.cpu_clock else time.perf_counter
        per_step, began = [], time.perf_counter()
        while len(per_step) < args.repeats:
            t0 = clock()
            stepper.run()
            per_step.append((clock() - t0) * 1e3)
            if len(per_step) >= 3 and time.perf_counter() - began > args.max_seconds:
                break
    return per_step


def meta(args, device, tf32):
    m = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": str(device),
        "threads": torch.get_num_threads(),
        "tf32": tf32,
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
        "data": args.data or "synthetic normal(0, 1)",
        "clock": "process CPU time" if args.cpu_clock else "wall time",
        "optimizer": "Adam lr 1e-3 eps 1e-7 (torch default implementation: foreach on CUDA)",
    }
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        m["card"] = f"{p.name}, sm_{p.major}{p.minor}, {p.multi_processor_count} SMs"
        m["cuda"] = torch.version.cuda
        m["cudnn"] = torch.backends.cudnn.version()
    else:
        m["cpu"] = cpu_model()
    return m


def set_tf32(on):
    """TF32 in cuBLAS and cuDNN, by torch's fp32_precision settings where they
    exist (torch >= 2.9, where allow_tf32 is deprecated), else by allow_tf32.
    Returns what was set, for the report."""
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn
    if hasattr(matmul, "fp32_precision") and hasattr(getattr(conv, "conv", None), "fp32_precision"):
        mode = "tf32" if on else "ieee"
        matmul.fp32_precision = mode
        conv.conv.fp32_precision = mode
        return {"cuda.matmul.fp32_precision": mode, "cudnn.conv.fp32_precision": mode}
    matmul.allow_tf32 = on
    conv.allow_tf32 = on
    return {"cuda.matmul.allow_tf32": on, "cudnn.allow_tf32": on}


def write_json(path, doc):
    if path:
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")


def side_by_side(path, doc, device):
    """cudanet-bench's end-to-end rows for this device next to ours, as ratios
    of images/s (cudanet over PyTorch, per batch size)."""
    with open(path) as f:
        bench = json.load(f)
    ours = [r for r in doc["results"] if r["status"] == "ok"]
    print(f"\nside by side with {path} (commit {bench['meta']['commit']}): cudanet images/s / PyTorch images/s")
    for r in bench["results"]:
        if not r["name"].startswith(f"e2e.train.{device.type}.") or r["status"] != "ok":
            continue
        ratios = ", ".join(f"{t['mode']} {r['rate'] / t['images_per_s']:.2f}" for t in ours if t["batch"] == r["batch"])
        print(f"  {r['name']:<32} {r['rate']:>9.0f} img/s   vs {ratios or 'no PyTorch row at this batch'}")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 512])
    p.add_argument("--modes", default=None,
                   help="comma-separated: eager, graphs (CUDA only), compile; default: all that apply")
    p.add_argument("--steps", type=int, default=20, help="training steps per timed CUDA window")
    p.add_argument("--repeats", type=int, default=50, help="timed windows (CUDA) or steps (CPU)")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    p.add_argument("--max-seconds", type=float, default=3.0, help="stop repeating a mode past this (at least 3 runs)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    p.add_argument("--cpu-clock", action="store_true",
                   help="CPU: time by the process's CPU time, not wall time (exact with --threads 1)")
    p.add_argument("--data", default="", help="folder with train-images/labels IDX files; default synthetic")
    p.add_argument("--tf32", action="store_true", help="allow TF32 in cuBLAS and cuDNN (off by default)")
    p.add_argument("--no-cudnn-benchmark", action="store_true",
                   help="do not let cuDNN time its algorithms per shape (on by default, like cudanet's auto)")
    p.add_argument("--json", default="", help="write the results here (rewritten after every mode)")
    p.add_argument("--cudanet", default="", help="a cudanet-bench --json file: print its end-to-end rows beside ours")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("bench_torch: --device cuda but torch sees no CUDA device", file=sys.stderr)
        return 2
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    tf32 = set_tf32(args.tf32)
    torch.backends.cudnn.benchmark = not args.no_cudnn_benchmark
    modes = args.modes.split(",") if args.modes else (
        ["eager", "graphs", "compile"] if device.type == "cuda" else ["eager", "compile"])

    doc = {"meta": meta(args, device, tf32), "results": []}
    print(f"torch {torch.__version__} on {doc['meta'].get('card', device)}; threads {torch.get_num_threads()}; "
          f"TF32 {'on' if args.tf32 else 'off'} ({', '.join(f'{k}={v}' for k, v in tf32.items())}); cudnn.benchmark {torch.backends.cudnn.benchmark}")
    print(f"{'mode':<8} {'batch':>5} {'ms/step':>10} {'steps/s':>9} {'images/s':>10}")
    failures = 0
    for mode in modes:
        for batch in args.batch_sizes:
            row = {"mode": mode, "batch": batch, "device": str(device)}
            try:
                if mode == "graphs" and device.type != "cuda":
                    raise RuntimeError("CUDA graphs need a CUDA device")
                t0 = time.perf_counter()
                stepper = Stepper(mode, batch, device, args.data)
                ms = time_mode(stepper, args)
                med = statistics.median(ms)
                row.update(status="ok", ms_per_step=med, min_ms=min(ms), runs=len(ms),
                           steps_per_s=1e3 / med, images_per_s=batch * 1e3 / med,
                           setup_and_timing_s=time.perf_counter() - t0)
                print(f"{mode:<8} {batch:>5} {med:>10.3f} {1e3 / med:>9.1f} {batch * 1e3 / med:>10.0f}", flush=True)
            except Exception as e:  # a mode that does not work here is reported, not fatal
                if mode != "compile":
                    failures += 1
                row.update(status="failed", error=f"{type(e).__name__}: {e}"[:500])
                print(f"{mode:<8} {batch:>5} failed: {row['error']}", flush=True)
            doc["results"].append(row)
            write_json(args.json, doc)
    if args.cudanet:
        side_by_side(args.cudanet, doc, device)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
