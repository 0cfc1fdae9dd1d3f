/* SPDX-License-Identifier: MIT */
/* Losses as lib/backend/cpu/loss_*.c computes them (per-element terms in double): cross-entropy,
 * BCE-with-logits, L1/L2, cosine. Scalar losses are summed deterministically: each of a fixed
 * number of blocks (a function of the count only) sums a grid-stride share with a tree into the
 * workspace, then one block adds the partials. Backward launchers read dy[0] on the device. */
#include "common.cuh"

using namespace parnk;

namespace {

/* partial[block] = sum of term(i) over the block's grid-stride share of [0, count). */
template <typename T>
__global__ void partial_kernel(int64_t count, T term, double *partial)
{
    double sum = 0;
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step)
        sum += term(i);
    sum = block_sum(sum);
    if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

template <typename T>
cudaError_t sum_terms(cudaStream_t s, int64_t count, T term, int reduction, float *out, void *ws,
                      size_t ws_bytes)
{
    int64_t blocks = partials_for(count);
    if ((reduction != PARN_K_MEAN && reduction != PARN_K_SUM) ||
        ws_bytes < (size_t)blocks * sizeof(double) || !ws)
        return cudaErrorInvalidValue;
    double divisor = reduction == PARN_K_MEAN ? (double)count : 1.0;
    PARNK_LAUNCH((unsigned)blocks, BLOCK, s, partial_kernel<T>)(count, term, (double *)ws);
    PARNK_LAUNCH(1, BLOCK, s, finish_kernel)((const double *)ws, blocks, divisor, out);
    return launched();
}

/* ---- elementwise pairs (BCE, L1/L2) ---------------------------------------------------------- */

/* x and t (same dims) walked in x's memory order; d (backward output) as operand 0. */
bool pair_walk(const parn_kview *first, const parn_kview &xv, const parn_kview &tv, Walk *w)
{
    if (!view_ok(xv) || !same_dims(xv, tv) || (first && !same_dims(*first, xv))) return false;
    if (first) {
        const int64_t *st[] = {first->strides, xv.strides, tv.strides};
        *w = make_walk(xv.ndim, xv.dims, 3, st);
    } else {
        const int64_t *st[] = {xv.strides, tv.strides};
        *w = make_walk(xv.ndim, xv.dims, 2, st);
    }
    return true;
}

__device__ __forceinline__ double bce(double x, double t)
{
    return (x > 0 ? x : 0) - x * t + log1p(exp(-fabs(x)));
}

__device__ __forceinline__ double sigmoid(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* 0: BCE, 1: L1, 2: squared error. */
struct pair_term {
    Walk w;
    const float *x, *t;
    int kind;
    __device__ double operator()(int64_t i) const
    {
        int64_t off[2];
        walk_offsets<2, uint64_t>(w, i, off);
        double xv = x[off[0]], tv = t[off[1]];
        if (kind == 0) return bce(xv, tv);
        double d = xv - tv;
        return kind == 1 ? fabs(d) : d * d;
    }
};

/* Backward of a pair loss: d = dy[0] * mul / divisor * g(x, t). */
struct pair_grad {
    const float *dy;
    double mul, divisor;
    int kind; /* 0: BCE dx, 1: BCE dtarget, 2: L1, 3: L2 */
    __device__ float operator()(float xf, float tf, float) const
    {
        double scale = (double)dy[0] * mul / divisor, x = xf, t = tf;
        switch (kind) {
        case 0: return (float)(scale * (sigmoid(x) - t));
        case 1: return (float)(-scale * x);
        case 2: {
            double d = x - t;
            return (float)(scale * (double)((d > 0) - (d < 0)));
        }
        default: return (float)(scale * (x - t));
        }
    }
};

cudaError_t pair_fwd(cudaStream_t s, int kind, int reduction, float *out, const float *x,
                     parn_kview xv, const float *t, parn_kview tv, void *ws, size_t ws_bytes)
{
    Walk w;
    if (!pair_walk(nullptr, xv, tv, &w)) return cudaErrorInvalidValue;
    return sum_terms(s, w.n, pair_term{w, x, t, kind}, reduction, out, ws, ws_bytes);
}

cudaError_t pair_bwd(cudaStream_t s, int kind, double mul, int reduction, float *d, parn_kview dv,
                     const float *dy, const float *x, parn_kview xv, const float *t, parn_kview tv)
{
    Walk w;
    if (!pair_walk(&dv, xv, tv, &w) || (reduction != PARN_K_MEAN && reduction != PARN_K_SUM))
        return cudaErrorInvalidValue;
    double divisor = reduction == PARN_K_MEAN ? (double)w.n : 1.0;
    return run_map<2>(s, w, d, x, t, nullptr, pair_grad{dy, mul, divisor, kind});
}

/* ---- cross-entropy: one warp per row ------------------------------------------------------- */

struct ce_rows {
    const float *logits, *labels;
    int64_t rows, classes, rs, cs, ls; /* row and class strides of logits, labels' stride */
    int *bad;
};

/* The row's class index, or -1 (flagged) when its label is not one. */
__device__ int64_t label_of(const ce_rows &r, int64_t i)
{
    float l = r.labels[i * r.ls];
    if (l >= 0.0f && l < (float)r.classes && l == floorf(l)) return (int64_t)l;
    if (r.bad) *r.bad = 1;
    return -1;
}

/* log(sum(exp(row))) around the row's maximum, by the 32 lanes of a warp (same in all). */
__device__ double warp_log_sum_exp(const ce_rows &r, const float *row, int lane)
{
    double m = -INFINITY;
    for (int64_t c = lane; c < r.classes; c += 32) m = fmax(m, (double)row[c * r.cs]);
    for (int s = 16; s > 0; s >>= 1) m = fmax(m, __shfl_xor_sync(0xffffffffu, m, s));
    double s = 0;
    for (int64_t c = lane; c < r.classes; c += 32) s += exp((double)row[c * r.cs] - m);
    return m + log(warp_sum(s));
}

/* Row losses (lane 0 of each warp carries them) summed into one partial per block. */
__global__ void ce_fwd_kernel(ce_rows r, double *partial)
{
    int lane = threadIdx.x & 31;
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int64_t warps = ((int64_t)blockDim.x * gridDim.x) >> 5;
    double sum = 0;
    for (int64_t i = warp; i < r.rows; i += warps) {
        const float *row = r.logits + i * r.rs;
        double lse = warp_log_sum_exp(r, row, lane);
        int64_t label = label_of(r, i);
        if (lane == 0) sum += label < 0 ? NAN : lse - (double)row[label * r.cs];
    }
    sum = block_sum(sum);
    if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

__global__ void ce_bwd_kernel(ce_rows r, const float *dy, bool mean, float *dx, int64_t drs,
                              int64_t dcs)
{
    int lane = threadIdx.x & 31;
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int64_t warps = ((int64_t)blockDim.x * gridDim.x) >> 5;
    double scale = (double)dy[0];
    if (mean) scale /= (double)r.rows;
    for (int64_t i = warp; i < r.rows; i += warps) {
        const float *row = r.logits + i * r.rs;
        double lse = warp_log_sum_exp(r, row, lane);
        int64_t label = label_of(r, i);
        for (int64_t c = lane; c < r.classes; c += 32) {
            double p = exp((double)row[c * r.cs] - lse);
            double v = label < 0 ? NAN : scale * (p - (c == label ? 1.0 : 0.0));
            dx[i * drs + c * dcs] = (float)v;
        }
    }
}

bool ce_rows_of(const float *logits, const parn_kview &lv, const float *labels,
                const parn_kview &labv, int *bad, ce_rows *r)
{
    if (lv.ndim != 2 || labv.ndim != 1 || !view_ok(lv) || !view_ok(labv) ||
        labv.dims[0] != lv.dims[0])
        return false;
    *r = {logits, labels, lv.dims[0], lv.dims[1], lv.strides[0], lv.strides[1], labv.strides[0], bad};
    return true;
}

/* Blocks for one warp per row. */
unsigned warp_blocks(int64_t rows)
{
    return grid_for(rows * 32);
}

/* ---- cosine: one warp per row ---------------------------------------------------------------- */

struct cos_rows {
    const float *a, *b;
    int64_t rows, cols, ars, acs, brs, bcs;
    double eps;
};

struct row_stats {
    double na, nb, cos;
};

__device__ row_stats warp_row_stats(const cos_rows &r, int64_t i, int lane)
{
    const float *pa = r.a + i * r.ars, *pb = r.b + i * r.brs;
    double dot = 0, aa = 0, bb = 0;
    for (int64_t j = lane; j < r.cols; j += 32) {
        double va = pa[j * r.acs], vb = pb[j * r.bcs];
        dot += va * vb;
        aa += va * va;
        bb += vb * vb;
    }
    dot = warp_sum(dot);
    aa = warp_sum(aa);
    bb = warp_sum(bb);
    row_stats s = {fmax(sqrt(aa), r.eps), fmax(sqrt(bb), r.eps), 0};
    s.cos = dot / (s.na * s.nb);
    return s;
}

__global__ void cos_fwd_kernel(cos_rows r, float *y, int64_t ys)
{
    int lane = threadIdx.x & 31;
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int64_t warps = ((int64_t)blockDim.x * gridDim.x) >> 5;
    for (int64_t i = warp; i < r.rows; i += warps) {
        row_stats s = warp_row_stats(r, i, lane);
        if (lane == 0) y[i * ys] = (float)s.cos;
    }
}

/* d cos / d self = other / (|self| |other|) - cos self / |self|^2 (clamped norms). */
__global__ void cos_bwd_kernel(cos_rows r, int which, const float *dy, int64_t dys, float *d,
                               int64_t drs, int64_t dcs)
{
    int lane = threadIdx.x & 31;
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int64_t warps = ((int64_t)blockDim.x * gridDim.x) >> 5;
    bool is_a = which == 0;
    for (int64_t i = warp; i < r.rows; i += warps) {
        row_stats s = warp_row_stats(r, i, lane);
        double nself = is_a ? s.na : s.nb, g = dy[i * dys];
        double k_other = g / (s.na * s.nb), k_self = -g * s.cos / (nself * nself);
        const float *pa = r.a + i * r.ars, *pb = r.b + i * r.brs;
        for (int64_t j = lane; j < r.cols; j += 32) {
            double va = pa[j * r.acs], vb = pb[j * r.bcs];
            double self = is_a ? va : vb, other = is_a ? vb : va;
            d[i * drs + j * dcs] = (float)(k_other * other + k_self * self);
        }
    }
}

bool cos_rows_of(float eps, const float *a, const parn_kview &av, const float *b,
                 const parn_kview &bv, cos_rows *r)
{
    if (av.ndim != 2 || !view_ok(av) || !same_dims(av, bv)) return false;
    *r = {a, b, av.dims[0], av.dims[1], av.strides[0], av.strides[1], bv.strides[0], bv.strides[1],
          (double)eps};
    return true;
}

} // namespace

size_t parn_k_loss_workspace(int64_t count)
{
    return (size_t)partials_for(count) * sizeof(double);
}

cudaError_t parn_k_cross_entropy_fwd(cudaStream_t stream, int reduction, float *out,
                                     const float *logits, parn_kview lv, const float *labels,
                                     parn_kview labv, int *bad_label, void *workspace,
                                     size_t workspace_bytes)
{
    ce_rows r;
    if (!ce_rows_of(logits, lv, labels, labv, bad_label, &r) ||
        (reduction != PARN_K_MEAN && reduction != PARN_K_SUM) ||
        workspace_bytes < parn_k_loss_workspace(r.rows) || !workspace)
        return cudaErrorInvalidValue;
    /* a block count of the rows only keeps the sum's order deterministic */
    int64_t blocks = partials_for(r.rows);
    double *partial = (double *)workspace;
    PARNK_LAUNCH((unsigned)blocks, BLOCK, stream, ce_fwd_kernel)(r, partial);
    double divisor = reduction == PARN_K_MEAN ? (double)r.rows : 1.0;
    PARNK_LAUNCH(1, BLOCK, stream, finish_kernel)(partial, blocks, divisor, out);
    return launched();
}

cudaError_t parn_k_cross_entropy_bwd(cudaStream_t stream, int reduction, float *dx,
                                     parn_kview dxv, const float *dy, const float *logits,
                                     parn_kview lv, const float *labels, parn_kview labv,
                                     int *bad_label)
{
    ce_rows r;
    if (!ce_rows_of(logits, lv, labels, labv, bad_label, &r) || !same_dims(dxv, lv) ||
        (reduction != PARN_K_MEAN && reduction != PARN_K_SUM))
        return cudaErrorInvalidValue;
    if (r.rows == 0) return cudaSuccess;
    PARNK_LAUNCH(warp_blocks(r.rows), BLOCK, stream, ce_bwd_kernel)(
        r, dy, reduction == PARN_K_MEAN, dx, dxv.strides[0], dxv.strides[1]);
    return launched();
}

cudaError_t parn_k_bce_logits_fwd(cudaStream_t stream, int reduction, float *out, const float *x,
                                  parn_kview xv, const float *t, parn_kview tv, void *workspace,
                                  size_t workspace_bytes)
{
    return pair_fwd(stream, 0, reduction, out, x, xv, t, tv, workspace, workspace_bytes);
}

cudaError_t parn_k_bce_logits_bwd(cudaStream_t stream, int reduction, int which, float *d,
                                  parn_kview dv, const float *dy, const float *x, parn_kview xv,
                                  const float *t, parn_kview tv)
{
    if (which != 0 && which != 1) return cudaErrorInvalidValue;
    return pair_bwd(stream, which, 1.0, reduction, d, dv, dy, x, xv, t, tv);
}

cudaError_t parn_k_dist_loss_fwd(cudaStream_t stream, int reduction, bool l1, float *out,
                                 const float *x, parn_kview xv, const float *t, parn_kview tv,
                                 void *workspace, size_t workspace_bytes)
{
    return pair_fwd(stream, l1 ? 1 : 2, reduction, out, x, xv, t, tv, workspace, workspace_bytes);
}

cudaError_t parn_k_dist_loss_bwd(cudaStream_t stream, int reduction, bool l1, int which, float *d,
                                 parn_kview dv, const float *dy, const float *x, parn_kview xv,
                                 const float *t, parn_kview tv)
{
    if (which != 0 && which != 1) return cudaErrorInvalidValue;
    double mul = (which ? -1.0 : 1.0) * (l1 ? 1.0 : 2.0);
    return pair_bwd(stream, l1 ? 2 : 3, mul, reduction, d, dv, dy, x, xv, t, tv);
}

cudaError_t parn_k_cosine_fwd(cudaStream_t stream, float eps, float *y, parn_kview yv,
                              const float *a, parn_kview av, const float *b, parn_kview bv)
{
    cos_rows r;
    if (!cos_rows_of(eps, a, av, b, bv, &r) || yv.ndim != 1 || yv.dims[0] != r.rows)
        return cudaErrorInvalidValue;
    if (r.rows == 0) return cudaSuccess;
    PARNK_LAUNCH(warp_blocks(r.rows), BLOCK, stream, cos_fwd_kernel)(r, y, yv.strides[0]);
    return launched();
}

cudaError_t parn_k_cosine_bwd(cudaStream_t stream, float eps, int which, float *d, parn_kview dv,
                              const float *dy, parn_kview dyv, const float *a, parn_kview av,
                              const float *b, parn_kview bv)
{
    cos_rows r;
    if (!cos_rows_of(eps, a, av, b, bv, &r) || (which != 0 && which != 1) ||
        !same_dims(dv, av) || dyv.ndim != 1 || dyv.dims[0] != r.rows)
        return cudaErrorInvalidValue;
    if (r.rows == 0) return cudaSuccess;
    PARNK_LAUNCH(warp_blocks(r.rows), BLOCK, stream, cos_bwd_kernel)(
        r, which, dy, dyv.strides[0], d, dv.strides[0], dv.strides[1]);
    return launched();
}
