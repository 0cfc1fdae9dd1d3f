/* SPDX-License-Identifier: MIT */
/* kernels/pixels.cu compiled as C++ for the CPU emulation (see emu.h). */
#include "../pixels.cu"
