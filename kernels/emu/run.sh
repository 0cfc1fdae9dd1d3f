#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every kernel of kernels/ on the CPU under the CUDA emulation (emu.h) and checks it against
# the CPU backend (check.c). Needs a configured build directory with lib/libparn_internal.a
# (default: build); no GPU or CUDA toolkit. SANITIZE=1 builds the kernels and the check with
# AddressSanitizer and UBSan (out-of-bounds reads of a kernel become errors).
# Usage: kernels/emu/run.sh [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
ninja -C "$build" lib/libparn_internal.a >/dev/null
out="$build/kernels-emu"
mkdir -p "$out"
san=""
if [ "${SANITIZE:-0}" = 1 ]; then
    san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
    out="$out-san"
    mkdir -p "$out"
fi
cxxflags="-std=c++17 -O2 -g -ffp-contract=off -Wall -Wextra -Werror -DPARNK_EMU $san"
cxxflags="$cxxflags -I$here/include -I$here -I$root/kernels"
objs=""
for src in "$root"/kernels/*.cu "$here/emu.cpp"; do
    obj="$out/$(basename "$src").o"
    g++ $cxxflags -x c++ -c "$src" -o "$obj"
    objs="$objs $obj"
done
gcc $san -std=gnu11 -O1 -g -ffp-contract=off -Wall -Wextra -Werror -Wno-unused-parameter \
    -Wno-missing-field-initializers -I"$here/include" -I"$root/kernels" -I"$root/include" \
    -I"$root/lib" -I"$build" -c "$here/check.c" -o "$out/check.o"
g++ $san -o "$out/check" "$out/check.o" $objs "$build/lib/libparn_internal.a" -fopenmp -ldnnl \
    $(pkg-config --libs libavformat libavcodec libswscale libavutil libcjson) -lm -lpthread
"$out/check"
