/* SPDX-License-Identifier: MIT */
/* kernels/elementwise.cu compiled as C++ for the CPU emulation (see emu.h). */
#include "../elementwise.cu"
