#!/usr/bin/env bash
# The one script that verifies a cudanet build on a GPU machine.
#
#   tools/gpu-check.sh [--build DIR] [--data DIR] [--out DIR] [--quick]
#
# The build is made elsewhere (a machine with the CUDA toolkit; tools/build-gpu.sh
# makes one for sm_90) and copied here. This machine needs the NVIDIA driver,
# compute-sanitizer and, for the peer comparison, PyTorch; cuDNN, cuBLAS and
# NCCL are found on the loader path, under /usr/local/cuda, or inside the Python
# packages' folders (nvidia-cudnn-cu13, nvidia-cublas, nvidia-nccl-cu13); a build
# with MPI (dist/) also needs the MPI runtime it was linked with. No network is used.
#
# In about 9 minutes it runs: the `gpu` tests; the distributed tests (NCCL on
# this machine's GPUs); a subset of cudanet-bench; the side-by-side comparison
# with PyTorch; one epoch of the reference model on the MNIST digits; the
# distributed cases of cudanet-bench (NCCL all-reduce bandwidth, the training
# step with and without the gradient all-reduce; under mpirun with one rank per
# GPU when there are several, else a world of one); compute-sanitizer memcheck
# and racecheck over the `gpu` tests. It writes a report (OUT/gpu-report.md,
# logs beside it) and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

build=build/gpu
data=""
out=${OUT:-gpu-report}
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    *) echo "gpu-check: unknown argument '$1' (expected --build DIR, --data DIR, --out DIR, --quick)"; exit 2 ;;
  esac
done
mkdir -p "$out"
report="$out/gpu-report.md"
failures=0
t0=$(date +%s)

step() { echo; echo "=== $* ($(( $(date +%s) - t0 )) s)"; }
record() {  # record NAME STATUS DETAIL
  printf '| %s | %s | %s |\n' "$1" "$2" "$3" >> "$report"
  [ "$2" = "PASS" ] || [ "$2" = "SKIP" ] || failures=$((failures + 1))
}

# ---- libraries: cuDNN and cuBLAS may live only inside the Python packages ----
# The cu13 wheels are namespace packages (no __file__): their folder is __path__[0]
# itself (nvidia/cudnn, nvidia/cu13), with the libraries in its lib/.
for mod in nvidia.cudnn nvidia.cublas nvidia.cuda_runtime nvidia.nccl nvidia.cu13; do
  dir=$(python3 -c "import $mod, os; f = getattr($mod, '__file__', None); print(os.path.dirname(f) if f else list($mod.__path__)[0])" 2>/dev/null) || continue
  for lib in "$dir"/lib "$dir"/lib64; do [ -d "$lib" ] && export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"; done
done
for lib in /usr/local/cuda/lib64 /usr/local/cuda/lib; do [ -d "$lib" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}:$lib"; done
# Last resort: the small system libraries tools/build-gpu.sh packed beside the build (libgomp).
case "$build" in /*) build_abs=$build ;; *) build_abs=$PWD/$build ;; esac
[ -d "$build/lib" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}:$build_abs/lib"
export PATH="$PATH:/usr/local/cuda/bin"

{
  echo "# cudanet GPU check"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- commit: $(cat "$build/COMMIT" 2>/dev/null || git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- card: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo 'nvidia-smi failed')"
  echo
  echo "| step | result | detail |"
  echo "| --- | --- | --- |"
} > "$report"

tests="$build/tests/cudanet_tests"
# The CLI tests run the trainer of this build, wherever the build now lives.
export CUDANET_TRAIN_EXE="$build_abs/apps/cudanet-train"
# The [data] tests among the gpu ones read the digits from the folder given.
[ -n "$data" ] && export CUDANET_MNIST_DIR="$data"
if [ ! -x "$tests" ]; then
  echo "gpu-check: $tests not found: build first (tools/build-gpu.sh) and pass --build DIR"
  exit 2
fi
missing=$(ldd "$tests" | grep "not found")
if [ -n "$missing" ]; then
  echo "gpu-check: shared libraries not found for $tests:"; echo "$missing"
  # Open MPI's libraries: the build has dist/ on MPI and this machine has no MPI runtime.
  echo "$missing" | grep -qE "libmpi|libopen-(rte|pal)" &&
    echo "gpu-check: the build links MPI (distributed training); bring its runtime or build with -DCUDANET_WITH_MPI=OFF"
  record "libraries" FAIL "$(echo "$missing" | tr '\n' ' ')"
  cat "$report"; exit 1
fi

if ! nvidia-smi > /dev/null 2>&1; then
  echo "gpu-check: no NVIDIA GPU here (nvidia-smi failed): nothing to check"
  exit 2
fi

# Budget: the step limits add up to 545 s, about 9.5 minutes with the probes
# (the device tool allows 10 per call). The most informative steps run first,
# the sanitizers last. The distributed tests and cases run apart from the
# others (NCCL is vendor code the sanitizers need not walk through), so that
# MPI or NCCL missing here fails their rows alone.
gpu_tests="[gpu]~[distributed]"
step "gpu tests"
if timeout 110 "$tests" "$gpu_tests" --reporter compact > "$out/gpu-tests.log" 2>&1; then
  record "gpu tests" PASS "$(tail -1 "$out/gpu-tests.log")"
else
  rc=$?
  detail=$(grep -E 'failed|FAILED' "$out/gpu-tests.log" | head -3 | tr '\n' ' ')
  # A crash, a timeout or an exit 77 (skipped: no device seen) prints no "failed" line.
  [ -n "$detail" ] || detail="exit $rc: $(tail -2 "$out/gpu-tests.log" | tr '\n' ' ')"
  record "gpu tests" FAIL "$detail"
fi
tail -3 "$out/gpu-tests.log"

# A world of one (no mpirun): MPI on host tensors, NCCL's all-reduce, broadcast
# and barrier on cuda:0, fit() over NCCL against fit() alone.
step "distributed tests"
if timeout 30 "$tests" "[distributed]" --reporter compact > "$out/distributed-tests.log" 2>&1; then
  record "distributed tests (MPI, NCCL)" PASS "$(tail -1 "$out/distributed-tests.log")"
else
  rc=$?
  detail=$(grep -E 'failed|FAILED' "$out/distributed-tests.log" | head -3 | tr '\n' ' ')
  [ -n "$detail" ] || detail="exit $rc: $(tail -2 "$out/distributed-tests.log" | tr '\n' ' ')"
  # Exit 77: a test skipped (no NCCL in this build, say), which ends the process there.
  if [ $rc = 77 ]; then
    record "distributed tests (MPI, NCCL)" SKIP "$(grep -m1 '^SKIPPED' "$out/distributed-tests.log")"
  else
    record "distributed tests (MPI, NCCL)" FAIL "$detail"
  fi
fi
tail -3 "$out/distributed-tests.log"

bench="$build/apps/cudanet-bench"
# Both engines' end-to-end cases train on the same real images when a data folder is given.
data_arg=()
[ -n "$data" ] && data_arg=(--data "$data")
if [ -x "$bench" ]; then
  step "cudanet-bench (subset)"
  if timeout 100 "$bench" --filter "${CUDANET_BENCH_FILTER:-reference}" --max-seconds 0.5 --json "$out/bench.json" \
      "${data_arg[@]}" > "$out/bench.log" 2>&1; then
    record "cudanet-bench" PASS "see bench.log"
  else
    record "cudanet-bench" FAIL "$(tail -2 "$out/bench.log" | tr '\n' ' ')"
  fi
fi

if [ -f tools/bench_torch.py ] && python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  step "PyTorch side-by-side"
  side=()
  [ -s "$out/bench.json" ] && side=(--cudanet "$out/bench.json")
  # Eager and CUDA graphs only: torch.compile's compile time for two batch sizes
  # does not fit this budget (run it on its own: bench_torch.py --modes compile).
  if PYTHONUNBUFFERED=1 timeout 75 python3 tools/bench_torch.py --modes eager,graphs --json "$out/torch.json" \
      "${side[@]}" "${data_arg[@]}" > "$out/torch.log" 2>&1; then
    record "pytorch comparison" PASS "see torch.log"
  else
    record "pytorch comparison" FAIL "$(tail -2 "$out/torch.log" | tr '\n' ' ')"
  fi
fi

train="$build/apps/cudanet-train"
if [ -x "$train" ] && [ -n "$data" ]; then
  step "one epoch of the reference model on $data"
  if timeout 60 "$train" --data "$data" --epochs 1 --device cuda --log "$out/train.jsonl" > "$out/train.log" 2>&1; then
    record "train 1 epoch" PASS "$(grep -E '^epoch 1/1' "$out/train.log" | tail -1)"
  else
    record "train 1 epoch" FAIL "$(tail -2 "$out/train.log" | tr '\n' ' ')"
  fi
fi

if [ -x "$bench" ]; then
  # One rank per GPU under mpirun where there are several (bus bandwidth);
  # with one GPU, a world of one, which still runs every NCCL call (all-reduce
  # time, no bus bandwidth) and the training step with it.
  gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
  launch=()
  if [ "$gpus" -ge 2 ] && command -v mpirun >/dev/null 2>&1; then
    launch=(mpirun -np "$gpus")
    # Open MPI refuses root unless told.
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  fi
  step "cudanet-bench distributed cases (${launch[*]:-a world of one}, $gpus GPU(s))"
  if timeout 40 "${launch[@]}" "$bench" --filter 'dist.*nccl' --max-seconds 0.5 --json "$out/bench-dist.json" \
      > "$out/bench-dist.log" 2>&1; then
    record "cudanet-bench dist (NCCL)" PASS "see bench-dist.log"
  else
    record "cudanet-bench dist (NCCL)" FAIL "$(tail -2 "$out/bench-dist.log" | tr '\n' ' ')"
  fi
fi

if command -v compute-sanitizer >/dev/null 2>&1; then
  for tool in memcheck racecheck; do
    step "compute-sanitizer $tool"
    limit=90
    [ "$tool" = racecheck ] && limit=40
    [ "$quick" = 1 ] && limit=40
    if timeout "$limit" compute-sanitizer --tool "$tool" --error-exitcode 99 "$tests" "$gpu_tests" \
        > "$out/sanitizer-$tool.log" 2>&1; then
      record "compute-sanitizer $tool" PASS "$(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$out/sanitizer-$tool.log" | tail -1)"
    else
      rc=$?
      [ $rc = 124 ] && detail="timed out after ${limit}s (partial log kept)" ||
        detail="$(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|Invalid|Race' "$out/sanitizer-$tool.log" | head -3 | tr '\n' ' ')"
      record "compute-sanitizer $tool" FAIL "$detail"
    fi
  done
else
  record "compute-sanitizer" FAIL "not installed on this machine"
fi

# ---- the one table: vendor fractions, images/s side by side, accuracy ----
step "summary"
{
  echo
  echo "## Ops: cudanet native against the vendor library (%vendor)"
  echo '```'
  grep -E "^case|\.native\." "$out/bench.log" 2>/dev/null || echo "(no bench results)"
  echo '```'
  echo
  echo "## Training throughput: cudanet against PyTorch on this card"
  echo '```'
  sed -n '/side by side/,$p' "$out/torch.log" 2>/dev/null | head -30
  grep -E "^e2e\." "$out/bench.log" 2>/dev/null
  echo '```'
  echo
  echo "## Distributed: NCCL all-reduce (algbw, busbw) and the step with and without it"
  echo '```'
  grep -E "^distributed:|^dist\." "$out/bench-dist.log" 2>/dev/null || echo "(not run)"
  echo '```'
  echo
  echo "## Scaling model (docs/benchmarks.md): this card's step times, the assumed NVLink all-reduce"
  echo '```'
  jsons=()
  for j in "$out/bench.json" "$out/bench-dist.json"; do [ -s "$j" ] && jsons+=("$j"); done
  python3 apps/bench/scaling_model.py "${jsons[@]}" 2>&1 || true
  echo '```'
  echo
  echo "## Accuracy after one epoch on $data"
  grep -E "^epoch 1/1" "$out/train.log" 2>/dev/null || echo "(not run)"
} >> "$report"

echo "- total time: $(( $(date +%s) - t0 )) s, failures: $failures" >> "$report"
echo; cat "$report"
[ "$failures" -eq 0 ]
