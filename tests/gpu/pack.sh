#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Packs what tests/gpu/run.sh needs from a -Dcuda=enabled build, for a GPU machine that has
# none of oneDNN, FFmpeg, Check or cJSON (see tests/gpu/README.md):
#   <build>/gpu-bundle.tar.xz  libparn, libparn-cuda.so, the test and bench programs, the sample
#                              clip, and shared-libs/: every shared library they load that is
#                              not the C/C++ runtime (which the GPU machine has)
#   <build>/gpu-faces.tar.xz   the face model (examples/faces.safetensors), when built
# Usage: tests/gpu/pack.sh [build-dir]   (default build-gpu)
set -euo pipefail
build=${1:-build-gpu}
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$build"
[ -f lib/backend/cuda/libparn-cuda.so ] || { echo "pack.sh: $build has no CUDA backend (meson setup -Dcuda=enabled)" >&2; exit 1; }
programs=()
for f in tests/check_* tests/bench/bench_gpu; do
  [ -f "$f" ] && [ -x "$f" ] && programs+=("$f")
done
files=("${programs[@]}" lib/backend/cuda/libparn-cuda.so)
for f in lib/libparn.so*; do [ -f "$f" ] && files+=("$f"); done
[ -f examples/sample.mp4 ] && files+=(examples/sample.mp4)
# The libraries they load, but glibc's, the C++ runtime's and CUDA's (the GPU machine's own).
rm -rf shared-libs && mkdir shared-libs
for f in "${files[@]}"; do
  case "$f" in *.mp4) continue ;; esac
  ldd "$f" 2>/dev/null | awk '/=> \//{print $3}'
done | sort -u | grep -v -E '/(ld-linux[^/]*|libc|libm|libdl|libpthread|librt|libutil|libresolv|libgcc_s|libstdc\+\+|libcud[a-z]*|libcublas[A-Za-z]*|libnv[A-Za-z0-9_-]*|libparn)\.so' |
  while read -r lib; do cp -L "$lib" shared-libs/; done || true
git -C "$repo" rev-parse HEAD > commit.txt 2>/dev/null || echo unknown > commit.txt
git -C "$repo" status --short | grep -q . && echo "(with uncommitted changes)" >> commit.txt || true
XZ_OPT=${XZ_OPT:--T0} tar -cJf gpu-bundle.tar.xz "${files[@]}" shared-libs commit.txt
echo "$build/gpu-bundle.tar.xz: $(du -h gpu-bundle.tar.xz | cut -f1) ($(ls shared-libs | wc -l) shared libraries)"
if [ -f examples/faces.safetensors ]; then
  XZ_OPT=${XZ_OPT:--T0} tar -cJf gpu-faces.tar.xz examples/faces.safetensors
  echo "$build/gpu-faces.tar.xz: $(du -h gpu-faces.tar.xz | cut -f1)"
fi
