/* SPDX-License-Identifier: MIT */
/* kernels/shape.cu compiled as C++ for the CPU emulation (see emu.h). */
#include "../shape.cu"
