/* SPDX-License-Identifier: MIT */
/* Bilinear resize (PyTorch's upsample_bilinear2d, both align_corners) and its adjoint. Taps are
 * computed per element in double exactly as lib/backend/cpu/resize.c; the adjoint gathers: each
 * dx element finds the output rows and columns that read it (taps are monotonic) and adds their
 * contributions in the CPU's order and roundings, so it needs no atomics, is deterministic, and
 * equals the CPU bit for bit (as does the forward pass). */
#include "common.cuh"

using namespace parnk;

namespace {

struct tap {
    int64_t i0, i1;
    float l0, l1;
};

/* One axis: in source samples, out output samples. */
struct axis {
    int64_t in, out;
    double scale;
    bool align;
};

axis axis_of(int64_t in, int64_t out, bool align)
{
    double scale = align ? (out > 1 ? (double)(in - 1) / (double)(out - 1) : 0.0)
                         : (double)in / (double)out;
    return {in, out, scale, align};
}

__device__ __forceinline__ tap tap_of(const axis &a, int64_t o)
{
    /* no fused multiply-add: the CPU rounds the product, and i0 depends on the last bit */
    double src = a.align ? __dmul_rn(a.scale, (double)o)
                         : __dadd_rn(__dmul_rn(a.scale, (double)o + 0.5), -0.5);
    if (src < 0) src = 0;
    int64_t i0 = (int64_t)src;
    if (i0 > a.in - 1) i0 = a.in - 1;
    double l1 = src - (double)i0;
    l1 = l1 < 0 ? 0 : l1 > 1 ? 1 : l1;
    return {i0, i0 < a.in - 1 ? i0 + 1 : i0, (float)(1.0 - l1), (float)l1};
}

/* The outputs that read source index i: [first, last] (empty when first > last). i1 and i0 are
 * non-decreasing and i1 <= i0 + 1, so they are the o with i1(o) >= i and i0(o) <= i. */
__device__ void readers_of(const axis &a, int64_t i, int64_t *first, int64_t *last)
{
    int64_t lo = 0, hi = a.out; /* first o with i1(o) >= i */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (tap_of(a, mid).i1 >= i) hi = mid; else lo = mid + 1;
    }
    *first = lo;
    lo = 0, hi = a.out; /* first o with i0(o) > i */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (tap_of(a, mid).i0 > i) hi = mid; else lo = mid + 1;
    }
    *last = lo - 1;
}

/* An N x C x H x W view walked in its memory order, unravelled to logical indices. */
struct nchw {
    int order[4]; /* logical dims, outermost in memory first */
    int64_t dims[4], strides[4], n;
};

nchw nchw_of(const parn_kview &v)
{
    nchw g;
    g.n = 1;
    for (int i = 0; i < 4; i++) {
        g.order[i] = i;
        g.dims[i] = v.dims[i];
        g.strides[i] = v.strides[i];
        g.n *= v.dims[i];
    }
    for (int i = 1; i < 4; i++)
        for (int j = i; j > 0 && v.strides[g.order[j]] > v.strides[g.order[j - 1]]; j--) {
            int t = g.order[j];
            g.order[j] = g.order[j - 1];
            g.order[j - 1] = t;
        }
    return g;
}

__device__ __forceinline__ void unravel(const nchw &g, int64_t i, int64_t *idx)
{
    for (int k = 3; k >= 0; k--) {
        int d = g.order[k];
        int64_t q = i / g.dims[d];
        idx[d] = i - q * g.dims[d];
        i = q;
    }
}

__global__ void resize_fwd_kernel(nchw yg, axis ah, axis aw, float *y, const float *x, parn_kview xv)
{
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    const int64_t *xs = xv.strides;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < yg.n; i += step) {
        int64_t idx[4];
        unravel(yg, i, idx);
        tap th = tap_of(ah, idx[2]), tw = tap_of(aw, idx[3]);
        const float *p = x + idx[0] * xs[0] + idx[1] * xs[1];
        const float *r0 = p + th.i0 * xs[2], *r1 = p + th.i1 * xs[2];
        int64_t a = tw.i0 * xs[3], b = tw.i1 * xs[3];
        float top = __fadd_rn(mul_rn(tw.l0, r0[a]), mul_rn(tw.l1, r0[b]));
        float bottom = __fadd_rn(mul_rn(tw.l0, r1[a]), mul_rn(tw.l1, r1[b]));
        float v = __fadd_rn(mul_rn(th.l0, top), mul_rn(th.l1, bottom));
        y[idx[0] * yg.strides[0] + idx[1] * yg.strides[1] + idx[2] * yg.strides[2] +
          idx[3] * yg.strides[3]] = v;
    }
}

__global__ void resize_bwd_kernel(nchw xg, axis ah, axis aw, float *dx, const float *dy,
                                  parn_kview dyv)
{
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    const int64_t *ys = dyv.strides;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < xg.n; i += step) {
        int64_t idx[4], h0, h1, w0, w1;
        unravel(xg, i, idx);
        int64_t h = idx[2], w = idx[3];
        readers_of(ah, h, &h0, &h1);
        readers_of(aw, w, &w0, &w1);
        const float *p = dy + idx[0] * ys[0] + idx[1] * ys[1];
        float acc = 0.0f;
        for (int64_t oh = h0; oh <= h1; oh++) {
            tap th = tap_of(ah, oh);
            float wh = (th.i0 == h ? th.l0 : 0.0f) + (th.i1 == h ? th.l1 : 0.0f);
            const float *row = p + oh * ys[2];
            for (int64_t ow = w0; ow <= w1; ow++) {
                tap tw = tap_of(aw, ow);
                float v = row[ow * ys[3]];
                if (tw.i0 == w) acc = mad_rn(acc, mul_rn(wh, tw.l0), v);
                if (tw.i1 == w) acc = mad_rn(acc, mul_rn(wh, tw.l1), v);
            }
        }
        dx[idx[0] * xg.strides[0] + idx[1] * xg.strides[1] + h * xg.strides[2] +
           w * xg.strides[3]] = acc;
    }
}

/* big: N x C x H x W; small: the other side with the same N and C. */
bool views_ok(const parn_kview &a, const parn_kview &b)
{
    return view_ok(a) && view_ok(b) && a.ndim == 4 && b.ndim == 4 && a.dims[0] == b.dims[0] &&
           a.dims[1] == b.dims[1] && a.dims[2] > 0 && a.dims[3] > 0 && b.dims[2] > 0 &&
           b.dims[3] > 0;
}

} // namespace

cudaError_t parn_k_resize_fwd(cudaStream_t stream, bool align_corners, float *y, parn_kview yv,
                              const float *x, parn_kview xv)
{
    if (!views_ok(yv, xv)) return cudaErrorInvalidValue;
    nchw g = nchw_of(yv);
    if (g.n == 0) return cudaSuccess;
    axis ah = axis_of(xv.dims[2], yv.dims[2], align_corners);
    axis aw = axis_of(xv.dims[3], yv.dims[3], align_corners);
    PARNK_LAUNCH(grid_for(g.n), BLOCK, stream, resize_fwd_kernel)(g, ah, aw, y, x, xv);
    return launched();
}

cudaError_t parn_k_resize_bwd(cudaStream_t stream, bool align_corners, float *dx, parn_kview dxv,
                              const float *dy, parn_kview dyv)
{
    if (!views_ok(dxv, dyv)) return cudaErrorInvalidValue;
    nchw g = nchw_of(dxv);
    if (g.n == 0) return cudaSuccess;
    axis ah = axis_of(dxv.dims[2], dyv.dims[2], align_corners);
    axis aw = axis_of(dxv.dims[3], dyv.dims[3], align_corners);
    PARNK_LAUNCH(grid_for(g.n), BLOCK, stream, resize_bwd_kernel)(g, ah, aw, dx, dy, dyv);
    return launched();
}
