#!/usr/bin/env bash
# Checks the dependency rules of docs/architecture.md on the source tree:
#  - the library folders above core (layers/, optim/, io/, train/) reach the
#    engine through core's public headers only: no include of kernels/ or
#    core/cuda/ (apps/bench alone may, to time launchers directly);
#  - only core/ops/ dispatches to a backend: no CUDANET_DISPATCH elsewhere.
# Prints one line per violation (file:line: what) and exits 1 if there is any.
#   tools/check-includes.sh
set -euo pipefail
cd "$(dirname "$0")/.."

sources=(--include='*.h' --include='*.hpp' --include='*.cpp' --include='*.cc' --include='*.cuh' --include='*.cu')
above_core=(layers optim io train)
everywhere=(core kernels layers optim io train apps tests emu examples include)
present() { for f in "$@"; do [ -d "$f" ] && printf '%s\n' "$f"; done; }
mapfile -t above_core < <(present "${above_core[@]}")
mapfile -t everywhere < <(present "${everywhere[@]}")

violations=0
report() {
  printf '%s\n' "$1"
  violations=$((violations + 1))
}

while IFS= read -r hit; do
  [ -n "$hit" ] || continue
  loc=$(cut -d: -f1,2 <<< "$hit")
  target=$(sed -E 's/.*#[[:space:]]*include[[:space:]]*["<]([^">]*)[">].*/\1/' <<< "$hit")
  report "$loc: includes $target: ${loc%%/*}/ uses core's public headers, never kernels/ or core/cuda/"
done < <(grep -rnE "${sources[@]}" '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<](kernels|core/cuda)/' \
           "${above_core[@]}" 2> /dev/null || true)

while IFS= read -r hit; do
  [ -n "$hit" ] || continue
  file=${hit%%:*}
  case "$file" in core/ops/*) continue ;; esac
  report "$(cut -d: -f1,2 <<< "$hit"): CUDANET_DISPATCH outside core/ops/: an op dispatches from its entry point there"
done < <(grep -rn "${sources[@]}" 'CUDANET_DISPATCH' "${everywhere[@]}" 2> /dev/null || true)

if [ "$violations" -gt 0 ]; then
  echo "check-includes: $violations violation(s) of the dependency rules in docs/architecture.md" >&2
  exit 1
fi
echo "check-includes: ${above_core[*]} include no kernels/ or core/cuda/ header; CUDANET_DISPATCH only in core/ops/"
