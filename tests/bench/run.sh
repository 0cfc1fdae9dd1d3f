#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# CPU benchmarks beside their peers in the same run. Usage: tests/bench/run.sh [build-dir]
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
threads=${PARN_BENCH_THREADS:-2}
export OMP_NUM_THREADS=$threads
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%F)"
ours=$("$build/tests/bench/bench_c3d" --threads "$threads" --iters 10)
echo "$ours"
ref=""
[ -x "$build/tests/bench/c3d_onednn" ] && ref=$("$build/tests/bench/c3d_onednn" 10) && echo "$ref"
torch=""
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  torch=$(/usr/bin/python3 "$here/c3d_torch.py" --threads "$threads" --iters 10)
  echo "$torch"
fi
ms() { sed -n 's/.*: \([0-9.]*\) ms\/clip.*/\1/p' <<<"$1"; }
[ -n "$torch" ] && awk -v a="$(ms "$ours")" -v b="$(ms "$torch")" 'BEGIN{printf "ratio PyTorch / libparn: %.2fx\n", b/a}'
[ -n "$ref" ] && awk -v a="$(ms "$ours")" -v b="$(ms "$ref")" 'BEGIN{printf "ratio libparn / hand-written oneDNN: %.2f\n", a/b}'
# The PARN networks (FEM + C3D, generator, discriminator) beside the same reference modules in
# PyTorch (tests/reference/models), lines paired by label.
if [ -x "$build/tests/bench/bench_networks" ]; then
  nets=$("$build/tests/bench/bench_networks" --threads "$threads" --iters 10)
  echo "$nets"
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    tnets=$(/usr/bin/python3 "$here/networks_torch.py" --threads "$threads" --iters 10)
    echo "$tnets"
    awk -F': ' '
      { split($2, v, " "); if (v[2] != "ms") next }
      /^libparn / { sub(/^libparn /, "", $1); ours[$1] = v[1] }
      /^PyTorch / { sub(/^PyTorch /, "", $1)
                    if ($1 in ours) printf "ratio PyTorch / libparn, %s: %.2fx\n", $1, v[1] / ours[$1] }
    ' <<<"$nets"$'\n'"$tnets"
  fi
fi
photo="${PARN_FACEAPI_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/parn/face-api-1.7.15/package}/demo/sample1.jpg"
if [ -x "$build/tests/bench/bench_faces" ] && [ -f "$photo" ]; then
  "$build/tests/bench/bench_faces" "$photo" --threads "$threads" --iters 10
fi
exit 0
