/* SPDX-License-Identifier: MIT */
/* Elementwise kernels over any strides: broadcast add/sub/mul, affine, activations (forward,
 * and backward from the output as oneDNN's *_use_dst_for_bwd), and dropout (mask and apply). */
#include "common.cuh"

using namespace parnk;

namespace {

struct binary_op {
    int kind;
    __device__ float operator()(float a, float b, float) const
    {
        return kind == PARN_K_ADD ? a + b : kind == PARN_K_SUB ? a - b : a * b;
    }
};

/* Separate roundings, as the CPU's alpha * x + beta (no fused multiply-add). */
struct affine_op {
    float alpha, beta;
    __device__ float operator()(float x, float, float) const
    {
        return __fadd_rn(__fmul_rn(alpha, x), beta);
    }
};

struct act_fwd_op {
    int kind;
    float alpha, beta;
    __device__ float operator()(float x, float, float) const
    {
        switch (kind) {
        case PARN_K_RELU: return x > 0.0f ? x : x * 0.0f;
        case PARN_K_LEAKY_RELU: return x > 0.0f ? x : x * alpha;
        case PARN_K_SIGMOID: return 1.0f / (1.0f + expf(-x));
        case PARN_K_TANH: return tanhf(x);
        default: {
            float v = x > alpha ? x : alpha;
            return v > beta ? beta : v;
        }
        }
    }
};

/* (dy, y) -> dx. */
struct act_bwd_op {
    int kind;
    float alpha, beta;
    __device__ float operator()(float dy, float y, float) const
    {
        switch (kind) {
        case PARN_K_RELU: return y > 0.0f ? dy : dy * 0.0f;
        case PARN_K_LEAKY_RELU: return y > 0.0f ? dy : dy * alpha;
        case PARN_K_SIGMOID: return dy * y * (1.0f - y);
        case PARN_K_TANH: return dy * (1.0f - y) * (1.0f + y);
        default: return alpha < y && y < beta ? dy : 0.0f;
        }
    }
};

struct mul3_op {
    __device__ float operator()(float x, float m, float) const { return x * m; }
};

/* a's strides seen through y's rank: right-aligned, 0 along broadcast dims. False when a does
 * not broadcast to y. */
bool broadcast_strides(const parn_kview &a, const parn_kview &y, int64_t *s)
{
    if (a.ndim > y.ndim) return false;
    int lead = y.ndim - a.ndim;
    for (int i = 0; i < y.ndim; i++) {
        int ia = i - lead;
        int64_t d = ia >= 0 ? a.dims[ia] : 1;
        if (d != y.dims[i] && d != 1) return false;
        s[i] = ia >= 0 && d != 1 ? a.strides[ia] : 0;
    }
    return true;
}

/* Walk over y's dims for y and inputs of y's dims. */
template <int NIN>
bool same_dims_walk(const parn_kview &y, const parn_kview *in, Walk *w)
{
    if (!view_ok(y)) return false;
    const int64_t *st[NIN + 1] = {y.strides};
    for (int k = 0; k < NIN; k++) {
        if (!same_dims(y, in[k])) return false;
        st[k + 1] = in[k].strides;
    }
    *w = make_walk(y.ndim, y.dims, NIN + 1, st);
    return true;
}

/* One 64-bit step of splitmix64 and xoshiro128+ exactly as lib/core/rng.c. */
__device__ uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

__device__ uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* Elements per random stream: PARN_DROPOUT_CHUNK of lib/core/core.h (parn__dropout_mask_chunk). */
constexpr int64_t MASK_CHUNK = 4096;

/* One thread per chunk: chunk k is seeded with seed + k and draws two 24-bit uniforms per
 * 64-bit word (bits 40..63, then 16..39), as draw_chunk on the CPU. */
__global__ void dropout_mask_kernel(uint64_t seed, uint64_t drop_below, float scale,
                                    int64_t total, int64_t chunks, float *mask)
{
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; k < chunks; k += step) {
        uint64_t sm = seed + (uint64_t)k, s0 = splitmix64(&sm), s1 = splitmix64(&sm);
        int64_t begin = k * MASK_CHUNK, end = begin + MASK_CHUNK < total ? begin + MASK_CHUNK : total;
        for (int64_t i = begin; i < end; i += 2) {
            uint64_t r = s0 + s1, t = s1 ^ s0;
            s0 = rotl(s0, 24) ^ t ^ (t << 16);
            s1 = rotl(t, 37);
            mask[i] = (r >> 40) >= drop_below ? scale : 0.0f;
            if (i + 1 < end) mask[i + 1] = (r >> 16 & 0xffffff) >= drop_below ? scale : 0.0f;
        }
    }
}

} // namespace

cudaError_t parn_k_binary(cudaStream_t stream, int kind, float *y, parn_kview yv, const float *a,
                          parn_kview av, const float *b, parn_kview bv)
{
    int64_t as[PARN_K_MAX_DIMS], bs[PARN_K_MAX_DIMS];
    if (kind < PARN_K_ADD || kind > PARN_K_MUL || !view_ok(yv) || !view_ok(av) || !view_ok(bv) ||
        !broadcast_strides(av, yv, as) || !broadcast_strides(bv, yv, bs))
        return cudaErrorInvalidValue;
    const int64_t *st[] = {yv.strides, as, bs};
    Walk w = make_walk(yv.ndim, yv.dims, 3, st);
    return run_map<2>(stream, w, y, a, b, nullptr, binary_op{kind});
}

cudaError_t parn_k_affine(cudaStream_t stream, float alpha, float beta, float *y, parn_kview yv,
                          const float *x, parn_kview xv)
{
    Walk w;
    if (!same_dims_walk<1>(yv, &xv, &w)) return cudaErrorInvalidValue;
    return run_map<1>(stream, w, y, x, nullptr, nullptr, affine_op{alpha, beta});
}

cudaError_t parn_k_act_fwd(cudaStream_t stream, int kind, float alpha, float beta, float *y,
                           parn_kview yv, const float *x, parn_kview xv)
{
    Walk w;
    if (kind < PARN_K_RELU || kind > PARN_K_CLIP || !same_dims_walk<1>(yv, &xv, &w))
        return cudaErrorInvalidValue;
    return run_map<1>(stream, w, y, x, nullptr, nullptr, act_fwd_op{kind, alpha, beta});
}

cudaError_t parn_k_act_bwd(cudaStream_t stream, int kind, float alpha, float beta, float *dx,
                           parn_kview dxv, const float *dy, parn_kview dyv, const float *y,
                           parn_kview yv)
{
    Walk w;
    parn_kview in[] = {dyv, yv};
    if (kind < PARN_K_RELU || kind > PARN_K_CLIP || !same_dims_walk<2>(dxv, in, &w))
        return cudaErrorInvalidValue;
    return run_map<2>(stream, w, dx, dy, y, nullptr, act_bwd_op{kind, alpha, beta});
}

cudaError_t parn_k_dropout_mask(cudaStream_t stream, uint64_t seed, float p, int64_t total,
                                float *mask)
{
    if (!(p >= 0.0f && p < 1.0f) || total < 0) return cudaErrorInvalidValue;
    if (total == 0) return cudaSuccess;
    float scale = 1.0f / (1.0f - p);
    uint64_t drop_below = (uint64_t)ceil((double)p * 16777216.0);
    int64_t chunks = (total + MASK_CHUNK - 1) / MASK_CHUNK;
    /* small blocks: there are few chunks, spread them over the SMs */
    PARNK_LAUNCH(grid_for(chunks, 64), 64, stream, dropout_mask_kernel)(seed, drop_below, scale, total,
                                                                   chunks, mask);
    return launched();
}

cudaError_t parn_k_dropout_apply(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                                 parn_kview xv, const float *mask, parn_kview mv)
{
    Walk w;
    parn_kview in[] = {xv, mv};
    if (!same_dims_walk<2>(yv, in, &w)) return cudaErrorInvalidValue;
    return run_map<2>(stream, w, y, x, mask, nullptr, mul3_op{});
}
