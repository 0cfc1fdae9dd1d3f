/* SPDX-License-Identifier: MIT */
/* kernels/blend.cu compiled as C++ for the CPU emulation (see emu.h). */
#include "../blend.cu"
