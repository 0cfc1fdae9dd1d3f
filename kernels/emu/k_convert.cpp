/* SPDX-License-Identifier: MIT */
/* kernels/convert.cu compiled as C++ for the CPU emulation (see emu.h). */
#include "../convert.cu"
