#!/usr/bin/env python3
"""Data-parallel scaling of the reference model, from cudanet-bench's numbers.

    apps/bench/scaling_model.py [JSON ...] [--device cuda|cpu] [--preset nvlink|pcie]
                                [--step-ms 64=MS,512=MS] [--latency-us US] [--busbw GBPS]
                                [--ranks 2,4,8]

Every rank holds the model and trains on B images per step; after backward the
gradient (93,322 floats) is all-reduced, with nothing to overlap it (the
all-reduce starts after backward, dist/data_parallel.h). So

    t_allreduce(S, n) = latency + 2(n-1)/n * S / busbw       (nccl-tests' busbw)
    efficiency(n)     = t_step(B) / (t_step(B) + t_allreduce(S, n))
    speedup(n)        = n * efficiency(n)

and communication takes as long as the step for a gradient of
S* = (t_step - latency) * busbw / (2(n-1)/n) bytes.

Each input comes from the first of: the command line; the JSON files of
cudanet-bench runs (t_step: the local step of dist.train.<transport>.bB, else
e2e.train.cuda.auto.bB; latency: the 4 KiB all-reduce time, busbw: the 64 MiB
one, from dist.allreduce.<transport>.* rows of 2 or more ranks; the transport
is nccl for --device cuda, mpi for cpu); the preset's
assumptions (docs/benchmarks.md, "Scaling model", says where they come from).
Each printed input says which. No third-party imports.
"""
import argparse
import json
import sys

GRADIENT_BYTES = 93322 * 4
BATCHES = (64, 512)

# Assumptions, not measurements: docs/benchmarks.md gives their sources.
PRESETS = {
    "nvlink": {"latency_us": 15.0, "busbw": 350.0,
               "what": "NVLink 4 + NVSwitch (H100/H200 SXM), assumed"},
    "pcie": {"latency_us": 25.0, "busbw": 40.0,
             "what": "PCIe Gen5 x16, no NVLink, assumed"},
}
ASSUMED_STEP_MS = {"cuda": {64: 0.4, 512: 1.5}}


def load_rows(paths):
    rows, meta = {}, {}
    for p in paths:
        with open(p) as f:
            doc = json.load(f)
        for r in doc.get("results", []):
            if r.get("status") == "ok":
                rows[r["name"]] = r
                meta[r["name"]] = doc.get("meta", {})
    return rows, meta


def source(meta):
    where = meta.get("card") if "none" not in meta.get("card", "none") else meta.get("cpu", "?")
    return f"measured: {where}, commit {meta.get('commit', '?')}, {meta.get('date', '?')[:10]}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("json", nargs="*", help="cudanet-bench --json outputs")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="nvlink")
    ap.add_argument("--step-ms", help="step times per batch, e.g. 64=0.4,512=1.5")
    ap.add_argument("--latency-us", type=float)
    ap.add_argument("--busbw", type=float, help="GB/s")
    ap.add_argument("--ranks", default="2,4,8")
    a = ap.parse_args()
    ranks = [int(x) for x in a.ranks.split(",")]
    if min(ranks) < 2:
        ap.error("--ranks: 2 or more each (a world of one has nothing to reduce)")
    rows, meta = load_rows(a.json)
    dev = a.device
    transport = {"cuda": "nccl", "cpu": "mpi"}[dev]

    steps = {}
    for b in BATCHES:
        # The local step of the ranks themselves first (the same sharing of
        # the machine), else one process's step on one GPU.
        for name, key in ((f"dist.train.{transport}.b{b}", "local_ms"), (f"e2e.train.{dev}.auto.b{b}", "median_ms")):
            if name in rows and rows[name].get(key):
                steps[b] = (rows[name][key], f"{name} ({source(meta[name])})")
                break
        else:
            if b in ASSUMED_STEP_MS.get(dev, {}):
                steps[b] = (ASSUMED_STEP_MS[dev][b], "assumed")
    if a.step_ms:
        for item in a.step_ms.split(","):
            b, ms = item.split("=")
            steps[int(b)] = (float(ms), "given")

    # The presets describe GPU links; the CPU has only what was measured or given.
    latency = busbw = None
    lat_src = bw_src = "missing"
    if dev == "cuda":
        preset = PRESETS[a.preset]
        latency, lat_src = preset["latency_us"], preset["what"]
        busbw, bw_src = preset["busbw"], preset["what"]
    small, large = rows.get(f"dist.allreduce.{transport}.4KiB"), rows.get(f"dist.allreduce.{transport}.64MiB")
    if small and small.get("world", 0) >= 2:
        latency = small["median_ms"] * 1e3
        lat_src = f"dist.allreduce.{transport}.4KiB on {small['world']} ranks ({source(meta[small['name']])})"
    if large and large.get("world", 0) >= 2 and large.get("busbw_gbs"):
        busbw = large["busbw_gbs"]
        bw_src = f"dist.allreduce.{transport}.64MiB on {large['world']} ranks ({source(meta[large['name']])})"
    if a.latency_us is not None:
        latency, lat_src = a.latency_us, "given"
    if a.busbw is not None:
        busbw, bw_src = a.busbw, "given"
    if not steps or latency is None or busbw is None:
        print(f"scaling_model: no {'step time' if not steps else 'all-reduce latency or busbw'} for {dev}: "
              "give a cudanet-bench JSON that has it, or --step-ms / --latency-us and --busbw", file=sys.stderr)
        return 2

    print(f"gradient: {GRADIENT_BYTES:,} bytes (93,322 float32)")
    for b in BATCHES:
        if b in steps:
            print(f"t_step(b{b}) = {steps[b][0]:.3f} ms  [{steps[b][1]}]")
    print(f"latency = {latency:.1f} us  [{lat_src}]")
    print(f"busbw   = {busbw:.2f} GB/s  [{bw_src}]")
    print()
    batches = [b for b in BATCHES if b in steps]
    head = f"{'ranks':>5} {'t_allreduce':>12}" + "".join(f" {'eff b' + str(b):>9} {'speedup':>8}" for b in batches)
    head += "".join(f" {'break-even b' + str(b):>18}" for b in batches)
    print(head)
    for n in ranks:
        k = 2 * (n - 1) / n
        t_ar = latency * 1e-3 + k * GRADIENT_BYTES / (busbw * 1e9) * 1e3  # ms
        line = f"{n:>5} {t_ar * 1e3:>9.1f} us"
        for b in batches:
            e = steps[b][0] / (steps[b][0] + t_ar)
            line += f" {100 * e:>8.1f}% {n * e:>7.2f}x"
        for b in batches:
            # The gradient at which t_allreduce = t_step, in float32 parameters.
            spare = steps[b][0] * 1e-3 - latency * 1e-6
            line += f" {spare * busbw * 1e9 / k / 4 / 1e6:>9.1f} M floats" if spare > 0 else f" {'any size':>18}"
        print(line)
    for b in BATCHES:
        name = f"dist.train.{transport}.b{b}"
        r = rows.get(name)
        if r and r.get("world", 0) >= 2 and r.get("efficiency"):
            print(f"measured: {name} on {r['world']} ranks: efficiency {100 * r['efficiency']:.1f}% "
                  f"(local {r['local_ms']:.3f} ms, {r['communication_ms']:+.3f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
