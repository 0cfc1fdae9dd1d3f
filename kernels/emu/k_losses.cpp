/* SPDX-License-Identifier: MIT */
/* kernels/losses.cu compiled as C++ for the CPU emulation (see emu.h). */
#include "../losses.cu"
