#!/usr/bin/env bash
# Builds the libFuzzer targets for the IDX and safetensors readers, the model
# description language and checkpoint metadata with clang (-fsanitize=fuzzer,address,undefined) and runs
# each for a bounded number of executions, one target at a time.
#
#   tools/fuzz.sh [RUNS] [extra libFuzzer flags...]
#
#   RUNS            executions per target (default 1000000)
#   FUZZ_TARGETS    targets to run (default "idx safetensors model checkpoint")
#   FUZZ_BUILD      build folder (default build-fuzz)
#   FUZZ_JOBS       parallel compile jobs (default 2)
#   FUZZ_MAX_TIME   also stop a target after this many seconds (default: no limit)
#
# The working corpus lives in $FUZZ_BUILD/corpus/<target>, seeded by
# tests/fuzz/make_seeds.cpp; crashes are written to $FUZZ_BUILD/crashes/.
# Exits non-zero when a target finds a crash, a leak or undefined behaviour.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}
runs=${1:-1000000}
shift || true
targets=${FUZZ_TARGETS:-idx safetensors model checkpoint}
jobs=${FUZZ_JOBS:-2}
command -v clang++ > /dev/null || { echo "fuzz.sh: clang++ not found (apt-get install clang)" >&2; exit 2; }

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
cxx="clang++ -std=c++20 -O1 $san -fopenmp -I$root -I$build/generated -I/usr/include/eigen3"

# The CPU library, instrumented for coverage and the sanitizers. Each source is
# compiled on its own and one that clang cannot build is left out with a note:
# the targets need only a few of them, and the link says if one was needed.
mkdir -p "$build/obj" "$build/generated/core"
sed -e "s/@PROJECT_VERSION@/0.0.0-fuzz/g" -e "s/@[A-Za-z_]*@/0/g" "$root/core/version.h.in" > "$build/generated/core/version.h"
compile() {  # compile SOURCE: rebuilds when the source or a header it includes changed
  local src=$1 obj="$build/obj/$(echo "${1#$root/}" | tr / _).o"
  if [[ -f "$obj" && -f "$obj.d" ]] && ! find $(sed -e 's/^[^:]*://' -e 's/\\$//' "$obj.d") -newer "$obj" 2>/dev/null | grep -q .; then
    return 0
  fi
  # The CPU kernels build one level here, baseline (CMake builds every level and
  # keeps each one's symbols apart, docs/architecture.md); dispatch.cpp picks it.
  local level=""
  [[ $src == */kernels/cpu/*.cpp && $src != */kernels/cpu/dispatch.cpp ]] && level="-DCUDANET_CPU_VARIANT=baseline"
  $cxx -DCUDANET_CPU_BUILT_BASELINE=1 $level -fsanitize=fuzzer-no-link -MMD -MF "$obj.d" -c "$src" -o "$obj" 2> "$obj.log" ||
    { rm -f "$obj"; echo "fuzz.sh: left out ${src#$root/} (clang: $(grep -m1 error: "$obj.log"))"; }
}
export -f compile
export root build cxx
ls "$root"/core/*.cpp "$root"/core/ops/*.cpp "$root"/kernels/cpu/*.cpp "$root"/io/*.cpp "$root"/layers/*.cpp \
  "$root"/optim/*.cpp "$root"/train/*.cpp |
  xargs -P "$jobs" -I{} bash -c 'compile {}'
rm -f "$build/libcudanet-fuzz.a"
ar rcs "$build/libcudanet-fuzz.a" "$build"/obj/*.o

link() {  # link SOURCE OUTPUT EXTRA_FLAGS
  $cxx $3 "$1" "$build/libcudanet-fuzz.a" -lz -o "$2"
}
link "$root/tests/fuzz/make_seeds.cpp" "$build/make_seeds" ""
mkdir -p "$build/seeds/idx" "$build/seeds/safetensors" "$build/seeds/model" "$build/seeds/checkpoint" "$build/crashes"
ASAN_OPTIONS=detect_leaks=0 "$build/make_seeds" "$build/seeds/idx" "$build/seeds/safetensors" "$build/seeds/model" "$build/seeds/checkpoint"

status=0
for t in $targets; do
  link "$root/tests/fuzz/fuzz_$t.cpp" "$build/fuzz_$t" "-fsanitize=fuzzer"
  mkdir -p "$build/corpus/$t"
  flags=(-runs="$runs" -max_len=8192 -timeout=10 -print_final_stats=1 -artifact_prefix="$build/crashes/$t-")
  [[ -n "${FUZZ_MAX_TIME:-}" ]] && flags+=(-max_total_time="$FUZZ_MAX_TIME")
  [[ -f "$root/tests/fuzz/$t.dict" ]] && flags+=(-dict="$root/tests/fuzz/$t.dict")
  echo "== fuzz_$t: ${flags[*]} $*"
  log="$build/fuzz_$t.log"
  if "$build/fuzz_$t" "${flags[@]}" "$@" "$build/corpus/$t" "$build/seeds/$t" > "$log" 2>&1; then
    echo "fuzz_$t: no failure; $(grep -h 'stat::number_of_executed_units' "$log" | tr -s ' ')"
  else
    status=1
    echo "fuzz_$t: FAILED (see $log)"
    grep -h -A20 'ERROR\|runtime error\|deadly signal' "$log" | head -40
  fi
done
exit $status
