/* SPDX-License-Identifier: MIT */
/* fp32 <-> fp16 / bf16 copies over any strides on both sides: the reduced-precision path of
 * the CUDA backend converts a convolution's input (to half, often into channels-last) and its
 * output (back to the graph's fp32 layout) with these. Rounding is to nearest, ties to even,
 * as __float2half_rn / __float2bfloat16_rn; NaN stays NaN, overflow becomes infinity. */
#include "common.cuh"

#ifndef PARNK_EMU
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

using namespace parnk;

namespace {

__device__ __forceinline__ uint16_t to_bits(int kind, float v)
{
    if (kind == PARN_K_F16) return __half_as_ushort(__float2half_rn(v));
    return __bfloat16_as_ushort(__float2bfloat16_rn(v));
}

__device__ __forceinline__ float from_bits(int kind, uint16_t b)
{
    if (kind == PARN_K_F16) return __half2float(__ushort_as_half(b));
    return __bfloat162float(__ushort_as_bfloat16(b));
}

/* Walk operand 0 is the output, 1 the input (so the output's memory order drives the walk). */
template <typename I>
__global__ void to_half_kernel(Walk w, int kind, uint16_t *y, const float *x)
{
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < w.n; i += step) {
        int64_t off[2];
        walk_offsets<2, I>(w, i, off);
        y[off[0]] = to_bits(kind, x[off[1]]);
    }
}

template <typename I>
__global__ void from_half_kernel(Walk w, int kind, float *y, const uint16_t *x)
{
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < w.n; i += step) {
        int64_t off[2];
        walk_offsets<2, I>(w, i, off);
        y[off[0]] = from_bits(kind, x[off[1]]);
    }
}

bool args_ok(int kind, const parn_kview &yv, const parn_kview &xv)
{
    return (kind == PARN_K_F16 || kind == PARN_K_BF16) && view_ok(yv) && view_ok(xv) &&
           same_dims(yv, xv);
}

Walk walk_of(const parn_kview &yv, const parn_kview &xv)
{
    const int64_t *st[] = {yv.strides, xv.strides};
    return make_walk(yv.ndim, yv.dims, 2, st);
}

} // namespace

cudaError_t parn_k_to_half(cudaStream_t stream, int kind, void *y, parn_kview yv, const float *x,
                           parn_kview xv)
{
    if (!args_ok(kind, yv, xv)) return cudaErrorInvalidValue;
    Walk w = walk_of(yv, xv);
    if (w.n == 0) return cudaSuccess;
    if (w.n <= (int64_t)UINT32_MAX)
        PARNK_LAUNCH(grid_for(w.n), BLOCK, stream, to_half_kernel<uint32_t>)(w, kind, (uint16_t *)y, x);
    else
        PARNK_LAUNCH(grid_for(w.n), BLOCK, stream, to_half_kernel<uint64_t>)(w, kind, (uint16_t *)y, x);
    return launched();
}

cudaError_t parn_k_from_half(cudaStream_t stream, int kind, float *y, parn_kview yv,
                             const void *x, parn_kview xv)
{
    if (!args_ok(kind, yv, xv)) return cudaErrorInvalidValue;
    Walk w = walk_of(yv, xv);
    if (w.n == 0) return cudaSuccess;
    if (w.n <= (int64_t)UINT32_MAX)
        PARNK_LAUNCH(grid_for(w.n), BLOCK, stream, from_half_kernel<uint32_t>)(w, kind, y,
                                                                              (const uint16_t *)x);
    else
        PARNK_LAUNCH(grid_for(w.n), BLOCK, stream, from_half_kernel<uint64_t>)(w, kind, y,
                                                                              (const uint16_t *)x);
    return launched();
}
