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

using std::exp;
using std::fabs;
using std::floor;
using std::fmax;
using std::log;
using std::log1p;
using std::sqrt;

#endif
