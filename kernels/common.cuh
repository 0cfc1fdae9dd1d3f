/* SPDX-License-Identifier: MIT */
/* Shared pieces of the kernels: argument checks, grid sizes, strided walks (up to 5 dims and 4
 * operands, unravelled with 32-bit division when the walk is small enough), and deterministic
 * block sums in double. Header-only: every helper is static or inline. */
#ifndef PARN_KERNELS_COMMON_CUH
#define PARN_KERNELS_COMMON_CUH

#include "kernels.h"

#include <stdint.h>

#ifdef PARNK_EMU
#include "emu/emu.h" /* a CPU emulation of the CUDA runtime, for testing without a GPU */
#else
#include <cuda_runtime.h>
/* kernel<<<grid, block, 0, stream>>>, written so that the emulation can replace it. */
#define PARNK_LAUNCH(grid, block, stream, ...) __VA_ARGS__<<<(grid), (block), 0, (stream)>>>
#endif

namespace parnk {

constexpr int BLOCK = 256;
constexpr int MAX_OPS = 4;
/* Grid-stride loops use at most this many blocks: enough for any GPU, few enough that a block's
 * per-thread setup is amortised. */
constexpr int64_t MAX_BLOCKS = 8192;

static inline unsigned grid_for(int64_t n, int block = BLOCK)
{
    int64_t b = (n + block - 1) / block;
    return (unsigned)(b < 1 ? 1 : b > MAX_BLOCKS ? MAX_BLOCKS : b);
}

static inline bool view_ok(const parn_kview &v)
{
    if (v.ndim < 0 || v.ndim > PARN_K_MAX_DIMS) return false;
    for (int i = 0; i < v.ndim; i++)
        if (v.dims[i] < 0) return false;
    return true;
}

static inline int64_t numel(const parn_kview &v)
{
    int64_t n = 1;
    for (int i = 0; i < v.ndim; i++) n *= v.dims[i];
    return n;
}

static inline bool same_dims(const parn_kview &a, const parn_kview &b)
{
    if (a.ndim != b.ndim) return false;
    for (int i = 0; i < a.ndim; i++)
        if (a.dims[i] != b.dims[i]) return false;
    return true;
}

/* After the launches: the launch status, never a sync. */
static inline cudaError_t launched()
{
    return cudaGetLastError();
}

/* Sum of v over the 32 lanes of a warp, the same in every lane (xor butterfly: fixed order). */
__device__ __forceinline__ double warp_sum(double v)
{
    for (int s = 16; s > 0; s >>= 1) v += __shfl_xor_sync(0xffffffffu, v, s);
    return v;
}

/* A box of logical dims walked by a linear index, with each operand's element offset. Built on
 * the host: size-1 dims dropped, dims ordered by operand 0's strides (outermost first, so
 * consecutive threads write consecutive memory), dims contiguous in every operand merged. */
struct Walk {
    int nd, nops;
    int64_t n;
    int64_t dims[PARN_K_MAX_DIMS];
    int64_t st[MAX_OPS][PARN_K_MAX_DIMS];
    bool dense; /* one dim with stride 1 in every operand: offset = index */
};

/* ndim/dims of the box; st[k] = operand k's strides per logical dim. sort = false keeps the
 * logical row-major order (reshape). */
static inline Walk make_walk(int ndim, const int64_t *dims, int nops, const int64_t *const *st,
                             bool sort = true)
{
    Walk w = {};
    w.nops = nops;
    w.n = 1;
    int order[PARN_K_MAX_DIMS], nd = 0;
    for (int i = 0; i < ndim; i++) {
        w.n *= dims[i];
        if (dims[i] != 1) order[nd++] = i;
    }
    if (sort) /* stable insertion sort by decreasing |stride of operand 0| */
        for (int i = 1; i < nd; i++)
            for (int j = i; j > 0; j--) {
                int64_t a = st[0][order[j - 1]], b = st[0][order[j]];
                if ((a < 0 ? -a : a) >= (b < 0 ? -b : b)) break;
                int t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
    w.nd = 0;
    for (int k = 0; k < nd; k++) {
        int d = order[k];
        bool merge = w.nd > 0;
        for (int o = 0; o < nops && merge; o++)
            merge = st[o][order[k - 1]] == st[o][d] * dims[d];
        if (merge) {
            w.dims[w.nd - 1] *= dims[d];
            for (int o = 0; o < nops; o++) w.st[o][w.nd - 1] = st[o][d];
            continue;
        }
        w.dims[w.nd] = dims[d];
        for (int o = 0; o < nops; o++) w.st[o][w.nd] = st[o][d];
        w.nd++;
    }
    w.dense = w.nd <= 1;
    for (int o = 0; o < nops && w.nd == 1; o++) w.dense = w.dense && w.st[o][0] == 1;
    if (w.nd == 0) w.dense = true; /* one element */
    return w;
}

/* Offsets of linear index i (row-major over w.dims) for the first NOPS operands. I is the
 * unravelling type: uint32_t when w.n < 2^32 (much cheaper division), else uint64_t. */
template <int NOPS, typename I>
__device__ __forceinline__ void walk_offsets(const Walk &w, int64_t i, int64_t *off)
{
    for (int o = 0; o < NOPS; o++) off[o] = 0;
    if (w.dense) {
        for (int o = 0; o < NOPS; o++) off[o] = i;
        return;
    }
    I r = (I)i;
    for (int d = w.nd - 1; d >= 0; d--) {
        I dim = (I)w.dims[d], q = r / dim, c = r - q * dim;
        for (int o = 0; o < NOPS; o++) off[o] += (int64_t)c * w.st[o][d];
        r = q;
    }
}

/* Sum of v over the block (blockDim.x a multiple of 32, <= 1024) in a fixed order; the result
 * is valid in thread 0. */
__device__ __forceinline__ double block_sum(double v)
{
    __shared__ double warp_sums[32];
    for (int s = 16; s > 0; s >>= 1) v += __shfl_down_sync(0xffffffffu, v, s);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads(); /* warp_sums may still be read by a previous call */
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (int)(blockDim.x >> 5) ? warp_sums[lane] : 0.0;
        for (int s = 16; s > 0; s >>= 1) v += __shfl_down_sync(0xffffffffu, v, s);
    }
    return v;
}

/* out[off0] = f(in0[off1], in1[off2], in2[off3]) over a walk (unused inputs may be NULL). */
template <int NIN, typename F, typename I>
__global__ void map_kernel(Walk w, float *out, const float *in0, const float *in1,
                           const float *in2, F f)
{
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < w.n; i += step) {
        int64_t off[NIN + 1];
        walk_offsets<NIN + 1, I>(w, i, off);
        float a = in0[off[1]];
        float b = NIN > 1 ? in1[off[NIN > 1 ? 2 : 0]] : 0.0f;
        float c = NIN > 2 ? in2[off[NIN > 2 ? 3 : 0]] : 0.0f;
        out[off[0]] = f(a, b, c);
    }
}

/* The dense case four elements at a time (16-byte loads and stores). */
template <int NIN, typename F>
__global__ void map4_kernel(int64_t n4, float4 *out, const float4 *in0, const float4 *in1,
                            const float4 *in2, F f)
{
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += step) {
        float4 a = in0[i], b = NIN > 1 ? in1[i] : a, c = NIN > 2 ? in2[i] : a;
        out[i] = make_float4(f(a.x, b.x, c.x), f(a.y, b.y, c.y), f(a.z, b.z, c.z), f(a.w, b.w, c.w));
    }
}

static inline bool aligned16(const void *p)
{
    return ((uintptr_t)p & 15) == 0;
}

/* Launches map_kernel with the cheapest unravelling type, or map4_kernel when every operand is
 * dense, 16-byte aligned and a multiple of 4 long. */
template <int NIN, typename F>
static inline cudaError_t run_map(cudaStream_t s, const Walk &w, float *out, const float *in0,
                                  const float *in1, const float *in2, F f)
{
    if (w.n == 0) return cudaSuccess;
    if (w.dense && w.n % 4 == 0 && aligned16(out) && aligned16(in0) &&
        (NIN < 2 || aligned16(in1)) && (NIN < 3 || aligned16(in2))) {
        int64_t n4 = w.n / 4;
        PARNK_LAUNCH(grid_for(n4), BLOCK, s, map4_kernel<NIN, F>)(
            n4, (float4 *)out, (const float4 *)in0, (const float4 *)in1, (const float4 *)in2, f);
        return launched();
    }
    if (w.n <= (int64_t)UINT32_MAX)
        PARNK_LAUNCH(grid_for(w.n), BLOCK, s, map_kernel<NIN, F, uint32_t>)(w, out, in0, in1, in2, f);
    else
        PARNK_LAUNCH(grid_for(w.n), BLOCK, s, map_kernel<NIN, F, uint64_t>)(w, out, in0, in1, in2, f);
    return launched();
}

/* a * b and acc + a * b rounded separately, as the CPU build (no FMA contraction) computes them,
 * where bit-equal results are cheap to have. */
__device__ __forceinline__ float mul_rn(float a, float b)
{
    return __fmul_rn(a, b);
}

__device__ __forceinline__ float mad_rn(float acc, float a, float b)
{
    return __fadd_rn(acc, __fmul_rn(a, b));
}

/* Deterministic scalar sums: a fixed number of blocks (a function of the count only) each write
 * one partial sum, then finish_kernel adds them in one block. */
constexpr int64_t MAX_PARTIALS = 1024;

static inline int64_t partials_for(int64_t count)
{
    int64_t b = (count + 4 * BLOCK - 1) / (4 * BLOCK);
    return b < 1 ? 1 : b > MAX_PARTIALS ? MAX_PARTIALS : b;
}

/* out[0] = (sum of the n partials) / divisor; launch with one block. */
static __global__ void finish_kernel(const double *partial, int64_t n, double divisor, float *out)
{
    double sum = 0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) sum += partial[i];
    sum = block_sum(sum);
    if (threadIdx.x == 0) out[0] = (float)(sum / divisor);
}

/* The rounding of lib/pipeline/blend.c's to_byte. */
__device__ __forceinline__ uint8_t to_byte(float v)
{
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)(v + 0.5f);
}

} // namespace parnk

#endif
