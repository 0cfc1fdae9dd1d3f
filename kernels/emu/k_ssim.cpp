/* SPDX-License-Identifier: MIT */
/* kernels/ssim.cu compiled as C++ for the CPU emulation (see emu.h). */
#include "../ssim.cu"
