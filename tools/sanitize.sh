#!/usr/bin/env bash
# Builds with AddressSanitizer (+ LeakSanitizer) and UndefinedBehaviorSanitizer
# and runs the tests under them: the CPU configuration's tests labelled `cpu`,
# and the emulated CUDA device's (CUDANET_CUDA_EMULATION) tests labelled `gpu`,
# where ASan sees every hand-written kernel's memory accesses.
#
#   tools/sanitize.sh [extra ctest arguments...]
#
#   SANITIZE_CONFIG    cpu, emulated, or both (default both)
#   SANITIZE_BUILD     build folder of the CPU run (default build/sanitize; the
#                      emulated run uses the same name with -emu appended)
#   SANITIZE_EXCLUDE   ctest -E regex of tests left out (default: none; the
#                      [data] and cli end-to-end tests take ~2 min under ASan
#                      on 2 cores, so they run too; the build dominates)
#   SANITIZE_TIMEOUT   per-test timeout in seconds (default 1800)
#   CUDANET_JOBS       parallel compile and test jobs (default: nproc)
#
# Every report fails: UB aborts (-fno-sanitize-recover), ASan halts on its first
# error, leaks are checked at exit, and all three exit with code 86 so that a
# report in a child process (the CLI tests run cudanet-train) cannot pass for
# the expected exit code 1. Reports go to files under $SANITIZE_BUILD/reports,
# not only to stderr, so one from a child whose output a test swallows is still
# seen; any report file fails the run even when every test passed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. tools/env.sh
start=$(date +%s)
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
# allocator_may_return_null: the out-of-host-memory tests ask for terabytes on
# purpose and expect the library's own error, not ASan's allocation report.
asan_extra="detect_leaks=1:allocator_may_return_null=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1"

# run_config BUILD LABEL CMAKE_ARGS... : configure, build, test, collect reports.
run_config() {
  local build=$1 label=$2
  shift 2
  case $build in /*) ;; *) build=$root/$build ;; esac
  mkdir -p "$build"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" \
        -DCMAKE_CXX_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" -DCMAKE_SHARED_LINKER_FLAGS="$san" \
        > "$build.configure.log" 2>&1 || { cat "$build.configure.log" >&2; return 2; }
  cmake --build "$build" -j "$CUDANET_JOBS" > "$build.build.log" 2>&1 ||
    { tail -40 "$build.build.log" >&2; echo "sanitize.sh: build failed (see $build.build.log)" >&2; return 2; }

  local reports=$build/reports status=0
  rm -rf "$reports" && mkdir -p "$reports"
  local common="halt_on_error=1:exitcode=86:print_summary=1:log_path=$reports/report"
  ASAN_OPTIONS="$common:$asan_extra" UBSAN_OPTIONS="$common:print_stacktrace=1" \
  LSAN_OPTIONS=${lsan:-} \
    ctest --test-dir "$build" -L "$label" -j "$CUDANET_JOBS" --timeout "${SANITIZE_TIMEOUT:-1800}" \
          --output-on-failure ${SANITIZE_EXCLUDE:+-E "$SANITIZE_EXCLUDE"} "${ctest_args[@]}" \
          > "$build.ctest.log" 2>&1 || status=1

  echo "== sanitize.sh [$label]: $(grep -E '^[0-9]+% tests passed' "$build.ctest.log" || echo 'ctest gave no summary')"
  grep -E '^\s+[0-9]+ - .*\((Failed|Timeout|Subprocess aborted|SEGFAULT|Exception|Not Run)\)' "$build.ctest.log" || true
  # A refused allocation (allocator_may_return_null) leaves a warning-only file.
  shopt -s nullglob
  for f in "$reports"/report.*; do
    grep -qv 'WARNING: AddressSanitizer failed to allocate' "$f" || rm "$f"
  done
  local found=("$reports"/report.*)
  if [ ${#found[@]} -gt 0 ]; then
    status=1
    echo "== ${#found[@]} sanitizer report(s) in $reports:"
    for f in "${found[@]}"; do echo "-- $f"; grep -m2 -E 'ERROR:|SUMMARY:' "$f" || head -3 "$f"; done
  fi
  # UBSan writes its first line to stderr even with log_path; the ctest log has it.
  grep -E 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$build.ctest.log" | sort -u | head -20 || true
  [ $status -eq 0 ] || echo "== sanitize.sh [$label]: FINDINGS (full log: $build.ctest.log)"
  return $status
}

ctest_args=("$@")
lsan=""
if [ -f tools/lsan.supp ]; then lsan="suppressions=$root/tools/lsan.supp:print_suppressions=0"; fi
build=${SANITIZE_BUILD:-build/sanitize}
config=${SANITIZE_CONFIG:-both}
case $config in cpu|emulated|both) ;; *) echo "sanitize.sh: SANITIZE_CONFIG=$config (expected cpu, emulated or both)" >&2; exit 2 ;; esac
status=0
if [ "$config" != emulated ]; then
  run_config "$build" cpu -DCUDANET_WITH_CUDA=OFF || status=1
fi
if [ "$config" != cpu ]; then
  # Order reverse: the other half of the thread orders the plain run covers.
  CUDAEMU_ORDER=reverse run_config "$build-emu" gpu -DCUDANET_CUDA_EMULATION=ON || status=1
fi
[ $status -eq 0 ] && verdict=clean || verdict=FINDINGS
echo "== sanitize.sh: $verdict, $(( $(date +%s) - start )) s"
exit $status
