/* SPDX-License-Identifier: MIT */
/* kernels/resize.cu compiled as C++ for the CPU emulation (see emu.h). */
#include "../resize.cu"
