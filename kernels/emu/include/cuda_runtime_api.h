/* SPDX-License-Identifier: MIT */
/* The part of the CUDA runtime API that kernels.h names, for the CPU emulation (emu.h): found
 * before the toolkit's header, so the emulation builds without CUDA installed. */
#ifndef PARNK_EMU_CUDA_RUNTIME_API_H
#define PARNK_EMU_CUDA_RUNTIME_API_H

typedef struct CUstream_st *cudaStream_t;

typedef enum cudaError {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorInvalidConfiguration = 9
} cudaError_t;

#ifdef __cplusplus
extern "C" {
#endif
/* The error of the last launch (then cleared), as the runtime's. */
cudaError_t cudaGetLastError(void);
#ifdef __cplusplus
}
#endif

#endif
