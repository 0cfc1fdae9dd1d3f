/* SPDX-License-Identifier: MIT */
/* kernels/reduce.cu compiled as C++ for the CPU emulation (see emu.h). */
#include "../reduce.cu"
