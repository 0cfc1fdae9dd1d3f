#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libparn's GPU checks in one run (see tests/gpu/README.md and ../shared/GPU.md):
#   1. the card, the driver, and the CUDA / cuDNN / cuBLAS versions libparn loaded;
#   2. every test program with the CUDA backend selected (PARN_TEST_DEVICE=cuda:0: the op and
#      network suites against the same PyTorch fixtures as the CPU), and check_cuda (both
#      backends side by side, pipelines through the public API);
#   3. the GPU benchmarks (tests/bench/bench_gpu) beside PyTorch on the same card
#      (tests/gpu/bench_torch.py), and a table last.
# Logs go to the folder given as $1, else $PARN_GPU_LOGS, else gpu-logs/ in the repository.
# The build: $PARN_GPU_BUILD (default build-gpu), from meson setup -Dcuda=enabled, or the
# bundles that tests/gpu/pack.sh made from one (unpacked here on first use).
# Exit status: 0 when every test passed or skipped, 1 otherwise.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${PARN_GPU_BUILD:-$repo/build-gpu}
logs=${1:-${PARN_GPU_LOGS:-$repo/gpu-logs}}
iters=${PARN_GPU_ITERS:-20}
jobs=${PARN_GPU_JOBS:-4}
mkdir -p "$logs/tests"
logs=$(cd "$logs" && pwd)
say() { echo "$@" | tee -a "$logs/run.txt"; }
: > "$logs/run.txt"

# ---- the build ------------------------------------------------------------------------------
unpack() {
  if command -v xz >/dev/null; then tar -xJf "$1" -C "$build"
  else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$build"; fi
}
for bundle in "$build/gpu-bundle.tar.xz" "$build/gpu-faces.tar.xz"; do
  if [ -f "$bundle" ] && [ ! -e "$bundle.unpacked" ]; then
    unpack "$bundle" && touch "$bundle.unpacked"
  fi
done
if [ ! -f "$build/lib/backend/cuda/libparn-cuda.so" ]; then
  say "run.sh: no CUDA build in $build (see tests/gpu/README.md)"
  exit 1
fi

# cuDNN and cuBLAS from PyTorch's pip packages (nvidia.*), the machine's own otherwise; the
# libraries the build needs that the machine lacks from shared-libs/. Only libparn's programs
# get this path, not python3.
nvidia_libs=$(python3 - <<'PY' 2>/dev/null
import glob, os
try:
    import nvidia
    roots = list(nvidia.__path__)
except ImportError:
    roots = []
dirs = set()
for root in roots:
    for pattern in ("libcudnn.so.*", "libcublas.so.*", "libcublasLt.so.*"):
        for f in glob.glob(os.path.join(root, "**", pattern), recursive=True):
            dirs.add(os.path.dirname(f))
print(":".join(sorted(dirs)))
PY
)
libpath="$build/shared-libs:$build/lib${nvidia_libs:+:$nvidia_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ours() { env LD_LIBRARY_PATH="$libpath" "$@"; }
export PARN_CUDA_LIBRARY="$build/lib/backend/cuda/libparn-cuda.so"
export PARN_FIXTURES="$repo/tests/reference/fixtures"
export PARN_SHARED_DATA="$repo/../shared/data"
export PARN_FACEAPI_DIR="${PARN_FACEAPI_DIR:-$build/face-api/package}"
[ -f "$build/examples/faces.safetensors" ] && export PARN_FACE_MODEL="$build/examples/faces.safetensors"
export CK_DEFAULT_TIMEOUT=600
# one process per program, not per test: a CUDA context per forked test would cost a second each
export CK_FORK=${CK_FORK:-no}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-4}

# ---- 1. the machine ---------------------------------------------------------------------------
say "== machine"
say "date: $(date -u '+%F %T UTC')"
say "commit: $(git -C "$repo" rev-parse HEAD 2>/dev/null || cat "$build/commit.txt" 2>/dev/null || echo unknown)"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi -L | tee -a "$logs/run.txt"
  say "driver: $(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)"
  nvidia-smi > "$logs/nvidia-smi.txt" 2>&1
else
  say "nvidia-smi: not found"
fi
say "$(ours "$build/tests/bench/bench_gpu" --device cuda:0 --only versions 2>&1 | head -1)"
say "cuDNN/cuBLAS from: ${nvidia_libs:-the library search path}"

# ---- 2. the tests -------------------------------------------------------------------------------
say "== tests with PARN_TEST_DEVICE=cuda:0 (logs: $logs/tests)"
run_test() {
  local exe=$1 name
  name=$(basename "$exe")
  local log="$logs/tests/$name.log" start=$SECONDS status
  if [ "$name" = check_cuda ]; then
    (cd "$repo" && timeout 900 env LD_LIBRARY_PATH="$libpath" "$exe") > "$log" 2>&1
  else
    (cd "$repo" && timeout 900 env LD_LIBRARY_PATH="$libpath" PARN_TEST_DEVICE=cuda:0 "$exe") > "$log" 2>&1
  fi
  status=$?
  case $status in
    0) echo "PASS $name $((SECONDS - start))s" ;;
    77) echo "SKIP $name" ;;
    124) echo "TIMEOUT $name" ;;
    *) echo "FAIL $name (exit $status; $(grep -m1 -E ':[EF]:' "$log" | cut -c1-160))" ;;
  esac
}
export -f run_test
export logs libpath repo
find "$build/tests" -maxdepth 1 -name 'check_*' -type f -perm -u+x | sort |
  xargs -P "$jobs" -I{} bash -c 'run_test "$@"' _ {} | sort -k2 > "$logs/tests.txt"
cat "$logs/tests.txt" | tee -a "$logs/run.txt"
failed=$(grep -c -v -E '^(PASS|SKIP) ' "$logs/tests.txt")
say "tests: $(grep -c '^PASS' "$logs/tests.txt") passed, $failed failed, $(grep -c '^SKIP' "$logs/tests.txt") skipped"

# ---- 3. benchmarks beside PyTorch ---------------------------------------------------------------
say "== benchmarks (median of $iters)"
video="$build/examples/sample.mp4"
ours "$build/tests/bench/bench_gpu" --device cuda:0 --iters "$iters" --video "$video" 2>&1 |
  tee "$logs/bench-libparn.txt" | tee -a "$logs/run.txt"
PARN_CUDA_TF32=1 ours "$build/tests/bench/bench_gpu" --device cuda:0 --iters "$iters" --only c3d 2>&1 |
  grep -v '^libparn devices' | tee -a "$logs/bench-libparn.txt" | tee -a "$logs/run.txt"
# precision fp16 / bf16 beside PyTorch's autocast rows, the generator in half too; then fp16
# with each half layout forced, the evidence for conv.c's per-op layout choice
for p in fp16 bf16; do
  ours "$build/tests/bench/bench_gpu" --device cuda:0 --iters "$iters" --precision "$p" --only c3d 2>&1 |
    grep -v '^libparn devices' | tee -a "$logs/bench-libparn.txt" | tee -a "$logs/run.txt"
  ours "$build/tests/bench/bench_gpu" --device cuda:0 --iters "$iters" --precision "$p" --only generator 2>&1 |
    grep -v '^libparn devices' | tee -a "$logs/bench-libparn.txt" | tee -a "$logs/run.txt"
done
for layout in nchw nhwc; do
  PARN_CUDA_HALF_LAYOUT=$layout ours "$build/tests/bench/bench_gpu" --device cuda:0 --iters "$iters" \
    --precision fp16 --only c3d 2>&1 | grep -v '^libparn devices' | tee -a "$logs/bench-libparn.txt" |
    tee -a "$logs/run.txt"
done
ours "$build/tests/bench/bench_gpu" --device cpu --iters 3 --video "$video" --only anonymize \
  --threads "$(nproc)" 2>&1 | sed 's/^libparn \([^:]*\):/libparn \1 [CPU]:/' | tee -a "$logs/bench-libparn.txt" |
  tee -a "$logs/run.txt"
python3 "$repo/tests/gpu/bench_torch.py" --iters "$iters" 2>&1 | tee "$logs/bench-torch.txt" |
  tee -a "$logs/run.txt"

# The table: one row per label, libparn and PyTorch side by side.
awk -F': ' '
  { split($2, v, " "); if (v[2] != "ms") next }
  /^libparn / { sub(/^libparn /, "", $1); if (!($1 in seen)) { order[n++] = $1; seen[$1] = 1 } ours[$1] = v[1] }
  /^PyTorch / { sub(/^PyTorch /, "", $1); if (!($1 in seen)) { order[n++] = $1; seen[$1] = 1 } torch[$1] = v[1] }
  END {
    printf "%-62s %12s %12s %10s\n", "benchmark (ms per item)", "libparn", "PyTorch", "PT/libparn"
    for (i = 0; i < n; i++) {
      k = order[i]
      a = (k in ours) ? sprintf("%.3f", ours[k]) : "-"
      b = (k in torch) ? sprintf("%.3f", torch[k]) : "-"
      r = (k in ours) && (k in torch) && ours[k] > 0 ? sprintf("%.2fx", torch[k] / ours[k]) : ""
      printf "%-62s %12s %12s %10s\n", k, a, b, r
    }
  }' "$logs/bench-libparn.txt" "$logs/bench-torch.txt" > "$logs/table.txt"
say "== table"
cat "$logs/table.txt" | tee -a "$logs/run.txt"
[ "$failed" -eq 0 ]
