/* SPDX-License-Identifier: MIT */
/* A CPU emulation of what the kernels use of CUDA, to test them without a GPU (included by
 * common.cuh when PARNK_EMU is defined; compile the .cu files as C++17 with -ffp-contract=off).
 * A launch runs its blocks one after another. A block first runs its threads as plain calls;
 * when thread 0 reaches __syncthreads or a warp shuffle, the block starts over with its threads
 * as cooperative fibers (ucontext) that switch only at those barriers, and so do the launch's
 * later blocks. Shared memory is a static variable, barriers are counters. Slow, exact and
 * deterministic. Assumes what the kernels here do: a thread writes no global memory before its
 * first barrier (the restart would repeat it), and barriers are reached by every thread. */
#ifndef PARNK_EMU_H
#define PARNK_EMU_H

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <tuple>
#include <utility>

#define __global__ __attribute__((unused))
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

struct dim3 {
    unsigned x, y, z;
};

struct float4 {
    float x, y, z, w;
};

inline float4 make_float4(float x, float y, float z, float w)
{
    return {x, y, z, w};
}

namespace parnk_emu {

/* The calling fiber's coordinates (fibers share one OS thread, so these are switched). */
extern dim3 thread_idx, block_idx, block_dim, grid_dim;

void sync_block();                        /* __syncthreads */
void exchange(uint64_t mine, uint64_t *lanes); /* all 32 lanes' values, as a warp shuffle sees */
void run_grid(unsigned grid, unsigned block, const std::function<void()> &body);

template <typename T>
T shuffle(T v, int src_lane, bool keep_own)
{
    uint64_t bits = 0, lanes[32];
    std::memcpy(&bits, &v, sizeof v);
    exchange(bits, lanes);
    if (keep_own) return v;
    T out;
    std::memcpy(&out, &lanes[src_lane], sizeof out);
    return out;
}

template <typename... P>
struct launch_of {
    unsigned grid, block;
    void (*kernel)(P...);
    template <typename... A>
    void operator()(A &&...args) const
    {
        std::tuple<P...> params(std::forward<A>(args)...);
        void (*k)(P...) = kernel;
        run_grid(grid, block, [&] { std::apply(k, params); });
    }
};

struct launcher {
    unsigned grid, block;
    template <typename... P>
    launch_of<P...> bind(void (*kernel)(P...)) const
    {
        return {grid, block, kernel};
    }
};

} // namespace parnk_emu

#define threadIdx parnk_emu::thread_idx
#define blockIdx parnk_emu::block_idx
#define blockDim parnk_emu::block_dim
#define gridDim parnk_emu::grid_dim
#define PARNK_LAUNCH(grid, block, stream, ...)                                                      \
    ((void)(stream), parnk_emu::launcher{(unsigned)(grid), (unsigned)(block)}.bind(__VA_ARGS__))

inline void __syncthreads()
{
    parnk_emu::sync_block();
}

template <typename T>
inline T __shfl_down_sync(unsigned, T v, int delta)
{
    int lane = (int)(threadIdx.x & 31);
    return parnk_emu::shuffle(v, lane + delta, lane + delta >= 32);
}

template <typename T>
inline T __shfl_xor_sync(unsigned, T v, int mask)
{
    return parnk_emu::shuffle(v, (int)(threadIdx.x & 31) ^ mask, false);
}

inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }

/* cuda_fp16.h / cuda_bf16.h: the types as their bits, conversions in software with the
 * hardware's rounding (to nearest, ties to even; overflow to infinity; NaN stays NaN). */
struct __half {
    uint16_t bits;
};
struct __nv_bfloat16 {
    uint16_t bits;
};

inline uint32_t parnk_emu_float_bits(float f)
{
    uint32_t x;
    std::memcpy(&x, &f, sizeof x);
    return x;
}

inline float parnk_emu_bits_float(uint32_t x)
{
    float f;
    std::memcpy(&f, &x, sizeof f);
    return f;
}

inline __half __float2half_rn(float f)
{
    uint32_t x = parnk_emu_float_bits(f), ax = x & 0x7fffffffu;
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    if (ax > 0x7f800000u) return {(uint16_t)(sign | 0x7e00u)};        /* NaN */
    if (ax >= 0x477ff000u) return {(uint16_t)(sign | 0x7c00u)};       /* >= 65520: infinity */
    if (ax < 0x38800000u) /* half subnormal: units of 2^-24, exact scaling, rint is to even */
        return {(uint16_t)(sign | (uint16_t)std::nearbyint(std::fabs(f) * 16777216.0f))};
    uint32_t r = ax - 0x38000000u; /* rebias the exponent, then round off 13 mantissa bits */
    r += 0xfffu + ((r >> 13) & 1u);
    return {(uint16_t)(sign | (r >> 13))};
}

inline float __half2float(__half h)
{
    uint32_t sign = (uint32_t)(h.bits & 0x8000u) << 16, e = (h.bits >> 10) & 0x1fu,
             m = h.bits & 0x3ffu;
    if (e == 0) { /* zero or subnormal: m units of 2^-24 */
        float v = (float)m / 16777216.0f;
        return sign ? -v : v;
    }
    if (e == 31) return parnk_emu_bits_float(sign | 0x7f800000u | (m << 13));
    return parnk_emu_bits_float(sign | ((e + 112u) << 23) | (m << 13));
}

inline __nv_bfloat16 __float2bfloat16_rn(float f)
{
    uint32_t x = parnk_emu_float_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return {(uint16_t)((x >> 16) | 0x40u)}; /* quiet NaN */
    x += 0x7fffu + ((x >> 16) & 1u);
    return {(uint16_t)(x >> 16)};
}

inline float __bfloat162float(__nv_bfloat16 b)
{
    return parnk_emu_bits_float((uint32_t)b.bits << 16);
}

inline unsigned short __half_as_ushort(__half h) { return h.bits; }
inline __half __ushort_as_half(unsigned short b) { return {b}; }
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.bits; }
inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short b) { return {b}; }

using std::exp;
using std::fabs;
using std::floor;
using std::fmax;
using std::log;
using std::log1p;
using std::sqrt;

#endif
