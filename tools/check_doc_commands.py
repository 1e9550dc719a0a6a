#!/usr/bin/env python3
"""Runs the commands README.md and docs/*.md show, as written.

    tools/check_doc_commands.py BUILD [-v]

BUILD is a configured and built tree (it has apps/cudanet-train and
apps/cudanet-bench). Every indented code line of the docs that starts with a
command (cudanet-train, cudanet-bench, build/..., tools/..., cmake, ctest, nm,
python3) is found, and each must meet one rule of RULES below: run as written
(placeholders such as DIR become a small real dataset), run with `--list`
appended (a benchmark selection: the flags parse and select cases), or skip
with the reason written next to it. A documented command no rule covers
fails the check, so the docs cannot drift from the tools unnoticed. Exits 1
when a command fails or is not covered.
"""
import gzip
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMAND = re.compile(r"^(cudanet-train|cudanet-bench|build/|tools/|cmake\s|ctest\s|nm\s|python3\s|CUDAEMU_\w+=|mpirun\s)")

# (pattern on the command, action, reason). Actions: "run", "list" (cudanet-bench
# with --list appended), "skip". The first pattern that matches decides.
RULES = [
    (r"^tools/test\.sh", "skip", "CI's own command: this check runs inside it"),
    (r"^tools/run-main\.sh", "skip", "builds build/main and trains 5 epochs of Fashion-MNIST (minutes); "
                                      "its runs are recorded in docs/results.md"),
    (r"^tools/setup\.sh", "skip", "installs packages: tools/test.sh runs it first"),
    (r"^tools/build-gpu\.sh|^tools/gpu-check\.sh", "skip", "needs a GPU (docs/gpu-status.md)"),
    (r"^tools/(bench_torch|compare_cpu_torch)\.py", "skip",
     "needs PyTorch and TensorFlow and minutes of timing; docs/benchmarks.md records its runs"),
    (r"^(cmake|ctest)\s", "skip",
     "configure, build and test steps that tools/test.sh and tools/test-embedding.sh run"),
    (r"^(CUDAEMU_\w+=\S+ )?build/\S+/tests/cudanet_tests", "skip",
     "the test binary of a build: tools/test.sh runs the whole suite in each configuration"),
    (r"^nm ", "skip", "inspects an object file of a build tree (an example of what to look at)"),
    (r"^(build/\S+/)?cudanet-bench .*--list|^cudanet-bench --list", "run", ""),
    (r"^(build/\S+/)?cudanet-bench", "list", ""),
    (r"^(build/\S+/apps/)?cudanet-train .*\[", "skip", "a synopsis ([optional] parts), not a command"),
    (r"^(build/\S+/apps/)?cudanet-train", "run", ""),
    (r"^mpirun .*cudanet-train .*--distributed", "run", ""),
    (r"^mpirun .*cudanet-bench", "list", ""),
]


def code_lines(path):
    """Indented code lines of a markdown file, continuation lines joined."""
    out, pending, fenced = [], "", False
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if not (fenced or line.startswith("    ")) or line.lstrip().startswith("|"):
                pending = ""
                continue
            text = line.strip()
            text = re.sub(r"\s+#\s.*$", "", text)  # a trailing comment
            if pending:
                text = pending + " " + text
            if text.endswith("\\"):
                pending = text[:-1].strip()
                continue
            pending = ""
            if COMMAND.match(text):
                out.append((n, text))
    return out


def write_idx(path, dims, payload, gz=False):
    raw = b"\x00\x00\x08" + bytes([len(dims)]) + struct.pack(">" + "I" * len(dims), *dims) + payload
    with open(path, "wb") as f:
        f.write(gzip.compress(raw) if gz else raw)


def tiny_dataset(d, n=256):
    os.makedirs(d, exist_ok=True)
    labels = bytes(i % 10 for i in range(n))
    pixels = bytes((i * 31 + p * 7 + (i % 10) * 40) % 251 for i in range(n) for p in range(784))
    for split in ("train", "t10k"):
        write_idx(os.path.join(d, f"{split}-images-idx3-ubyte.gz"), [n, 28, 28], pixels, gz=True)
        write_idx(os.path.join(d, f"{split}-labels-idx1-ubyte.gz"), [n], labels, gz=True)
    return d


def prepare(cmd, build, work, data):
    """The command as it runs here: the build's binaries, DIR a small dataset."""
    args = shlex.split(cmd)
    # The program, or the one mpirun starts.
    for i, a in enumerate(args):
        if a.endswith("cudanet-train") or a.endswith("cudanet-bench"):
            args[i] = os.path.join(build, "apps", os.path.basename(a))
            break
    # Paths beside the repository (../shared/data/...) as the docs mean them: from its root.
    return [data if a == "DIR" else os.path.normpath(os.path.join(ROOT, a)) if a.startswith("../") else a
            for a in args]


def main():
    if len(sys.argv) < 2:
        print("usage: tools/check_doc_commands.py BUILD [-v]", file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    verbose = "-v" in sys.argv
    docs = [os.path.join(ROOT, "README.md")] + sorted(
        os.path.join(ROOT, "docs", f) for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))
    work = tempfile.mkdtemp(prefix="cudanet-doc-commands-")
    data = tiny_dataset(os.path.join(work, "data"))
    # README's predict example names the test images in the working folder.
    shutil.copy(os.path.join(data, "t10k-images-idx3-ubyte.gz"), work)
    ran = skipped = failed = 0
    t0 = time.time()
    try:
        for doc in docs:
            for line, cmd in code_lines(doc):
                where = f"{os.path.relpath(doc, ROOT)}:{line}"
                rule = next((r for r in RULES if re.search(r[0], cmd)), None)
                if rule is None:
                    failed += 1
                    print(f"FAIL {where}: no rule covers `{cmd}` (add one to RULES in {sys.argv[0]})")
                    continue
                _, action, reason = rule
                if action == "skip":
                    skipped += 1
                    if verbose:
                        print(f"skip {where}: `{cmd}`: {reason}")
                    continue
                args = prepare(cmd, build, work, data)
                missing = [a for a in args if a.startswith(os.path.normpath(os.path.join(ROOT, "..")) + "/shared")
                           and not os.path.exists(a)]
                if missing:
                    skipped += 1
                    print(f"skip {where}: `{cmd}`: {missing[0]} is not on this machine")
                    continue
                if action == "list":
                    args.append("--list")
                env = dict(os.environ)
                if args[0] == "mpirun":
                    if not shutil.which("mpirun"):
                        skipped += 1
                        print(f"skip {where}: `{cmd}`: mpirun is not on this machine (tools/setup.sh installs it)")
                        continue
                    # CI runs as root, which Open MPI refuses unless told.
                    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
                started = time.time()
                p = subprocess.run(args, cwd=work, capture_output=True, text=True, timeout=600, env=env)
                ok = p.returncode == 0 and (action != "list" or p.stdout.strip())
                ran += 1
                if not ok:
                    failed += 1
                    print(f"FAIL {where}: `{cmd}` exited {p.returncode}:\n{(p.stdout + p.stderr)[-2000:]}")
                elif verbose:
                    print(f"ok   {where}: `{cmd}` ({time.time() - started:.1f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"check_doc_commands: {ran} documented commands run, {skipped} skipped with a reason, "
          f"{failed} failed, in {time.time() - t0:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
