/* SPDX-License-Identifier: MIT */
/* Layout plumbing as strided copies: copy, fill, concat, slice, pad, reshape and permute over any
 * strides. Walks follow the output's memory order, so writes are coalesced; copies between
 * layouts contiguous along different dims (NCHW <-> NHWC, permutes) go through tiles. */
#include "common.cuh"

using namespace parnk;

namespace {

struct copy_op {
    __device__ float operator()(float x, float, float) const { return x; }
};

__global__ void fill_kernel(Walk w, float *y, float value)
{
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < w.n; i += step) {
        int64_t off;
        walk_offsets<1, uint64_t>(w, i, &off);
        y[off] = value;
    }
}

/* Transposing copies (y contiguous along dim a, x along another dim b: NCHW <-> NHWC) go through
 * shared-memory tiles, so that both the reads and the writes are coalesced. */
constexpr int TILE = 32;

struct transpose_geom {
    Walk batch;             /* the other dims; operand 0: y, 1: x */
    int64_t da, db;         /* sizes of the tile dims */
    int64_t ya, yb, xa, xb; /* their strides (ya = xb = 1) */
    int64_t tiles_a, tiles_b;
};

__global__ void transpose_kernel(transpose_geom g, float *y, const float *x)
{
    __shared__ float tile[TILE][TILE + 1];
    int64_t per_batch = g.tiles_a * g.tiles_b, total = per_batch * g.batch.n;
    int lane = threadIdx.x % TILE, row = threadIdx.x / TILE, rows = blockDim.x / TILE;
    for (int64_t t = blockIdx.x; t < total; t += gridDim.x) {
        int64_t r = t % per_batch, a0 = r / g.tiles_b * TILE, b0 = r % g.tiles_b * TILE;
        int64_t off[2];
        walk_offsets<2, uint64_t>(g.batch, t / per_batch, off);
        for (int i = row; i < TILE; i += rows) { /* lanes along b: x's contiguous dim */
            int64_t a = a0 + i, b = b0 + lane;
            if (a < g.da && b < g.db) tile[i][lane] = x[off[1] + a * g.xa + b * g.xb];
        }
        __syncthreads();
        for (int i = row; i < TILE; i += rows) { /* lanes along a: y's contiguous dim */
            int64_t a = a0 + lane, b = b0 + i;
            if (a < g.da && b < g.db) y[off[0] + a * g.ya + b * g.yb] = tile[lane][i];
        }
        __syncthreads();
    }
}

/* The tiled plan of a walk (y, x), when y and x are contiguous along different dims that are
 * both long enough for tiles to pay. */
bool transpose_of(const Walk &w, transpose_geom *g)
{
    int a = w.nd - 1, b = -1;
    if (w.nd < 2 || w.st[0][a] != 1 || w.st[1][a] == 1) return false;
    for (int d = 0; d < a; d++)
        if (w.st[1][d] == 1) b = d;
    if (b < 0 || w.dims[a] < 8 || w.dims[b] < 8) return false;
    *g = {};
    g->batch.nops = 2;
    g->batch.n = 1;
    for (int d = 0; d < a; d++) {
        if (d == b) continue;
        int k = g->batch.nd++;
        g->batch.dims[k] = w.dims[d];
        g->batch.st[0][k] = w.st[0][d];
        g->batch.st[1][k] = w.st[1][d];
        g->batch.n *= w.dims[d];
    }
    g->da = w.dims[a], g->db = w.dims[b];
    g->ya = w.st[0][a], g->yb = w.st[0][b], g->xa = w.st[1][a], g->xb = w.st[1][b];
    g->tiles_a = (g->da + TILE - 1) / TILE;
    g->tiles_b = (g->db + TILE - 1) / TILE;
    return true;
}

/* Copies dims from x (strides xs) into y (strides ys). */
cudaError_t copy_box(cudaStream_t s, int nd, const int64_t *dims, float *y, const int64_t *ys,
                     const float *x, const int64_t *xs)
{
    const int64_t *st[] = {ys, xs};
    Walk w = make_walk(nd, dims, 2, st);
    transpose_geom g;
    if (w.n == 0 || !transpose_of(w, &g))
        return run_map<1>(s, w, y, x, nullptr, nullptr, copy_op{});
    int64_t tiles = g.tiles_a * g.tiles_b * g.batch.n;
    unsigned blocks = (unsigned)(tiles < MAX_BLOCKS ? tiles : MAX_BLOCKS);
    PARNK_LAUNCH(blocks, BLOCK, s, transpose_kernel)(g, y, x);
    return launched();
}

/* Pad: y's dims in y's memory order (not merged: each dim tests its own range). */
struct pad_geom {
    int nd;
    int64_t n;
    int64_t dims[PARN_K_MAX_DIMS], ys[PARN_K_MAX_DIMS], xs[PARN_K_MAX_DIMS];
    int64_t lo[PARN_K_MAX_DIMS], xdims[PARN_K_MAX_DIMS];
};

__global__ void pad_kernel(pad_geom g, float *y, const float *x, float value)
{
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < g.n; i += step) {
        int64_t r = i, yo = 0, xo = 0;
        bool inside = true;
        for (int d = g.nd - 1; d >= 0; d--) {
            int64_t q = r / g.dims[d], c = r - q * g.dims[d] - g.lo[d];
            r = q;
            yo += (c + g.lo[d]) * g.ys[d];
            xo += c * g.xs[d];
            inside = inside && c >= 0 && c < g.xdims[d];
        }
        y[yo] = inside ? x[xo] : value;
    }
}

/* Reshape: element k in row-major order of both, each walked in its own logical order. */
template <typename I>
__global__ void reshape_kernel(Walk wy, Walk wx, float *y, const float *x)
{
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < wy.n; i += step) {
        int64_t yo, xo;
        walk_offsets<1, I>(wy, i, &yo);
        walk_offsets<1, I>(wx, i, &xo);
        y[yo] = x[xo];
    }
}

} // namespace

cudaError_t parn_k_copy(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                        parn_kview xv)
{
    if (!view_ok(yv) || !same_dims(yv, xv)) return cudaErrorInvalidValue;
    return copy_box(stream, yv.ndim, yv.dims, y, yv.strides, x, xv.strides);
}

cudaError_t parn_k_fill(cudaStream_t stream, float *y, parn_kview yv, float value)
{
    if (!view_ok(yv)) return cudaErrorInvalidValue;
    const int64_t *st[] = {yv.strides};
    Walk w = make_walk(yv.ndim, yv.dims, 1, st);
    if (w.n == 0) return cudaSuccess;
    PARNK_LAUNCH(grid_for(w.n), BLOCK, stream, fill_kernel)(w, y, value);
    return launched();
}

cudaError_t parn_k_concat(cudaStream_t stream, int axis, float *y, parn_kview yv, int n,
                          const float *const *xs, const parn_kview *xvs)
{
    if (!view_ok(yv) || axis < 0 || axis >= yv.ndim || n < 1 || !xs || !xvs)
        return cudaErrorInvalidValue;
    int64_t total = 0;
    for (int k = 0; k < n; k++) {
        if (xvs[k].ndim != yv.ndim || !view_ok(xvs[k])) return cudaErrorInvalidValue;
        for (int i = 0; i < yv.ndim; i++)
            if (i != axis && xvs[k].dims[i] != yv.dims[i]) return cudaErrorInvalidValue;
        total += xvs[k].dims[axis];
    }
    if (total != yv.dims[axis]) return cudaErrorInvalidValue;
    int64_t at = 0;
    for (int k = 0; k < n; k++) {
        cudaError_t e = copy_box(stream, yv.ndim, xvs[k].dims, y + at * yv.strides[axis],
                                 yv.strides, xs[k], xvs[k].strides);
        if (e != cudaSuccess) return e;
        at += xvs[k].dims[axis];
    }
    return cudaSuccess;
}

cudaError_t parn_k_slice(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                         parn_kview xv, const int64_t *start)
{
    if (!view_ok(yv) || !view_ok(xv) || yv.ndim != xv.ndim || (yv.ndim > 0 && !start))
        return cudaErrorInvalidValue;
    int64_t off = 0;
    for (int i = 0; i < yv.ndim; i++) {
        if (start[i] < 0 || start[i] + yv.dims[i] > xv.dims[i]) return cudaErrorInvalidValue;
        off += start[i] * xv.strides[i];
    }
    return copy_box(stream, yv.ndim, yv.dims, y, yv.strides, x + off, xv.strides);
}

cudaError_t parn_k_pad(cudaStream_t stream, float *y, parn_kview yv, const float *x, parn_kview xv,
                       const int64_t *lo, float value)
{
    if (!view_ok(yv) || !view_ok(xv) || yv.ndim != xv.ndim || (yv.ndim > 0 && !lo))
        return cudaErrorInvalidValue;
    pad_geom g = {};
    g.n = numel(yv);
    int order[PARN_K_MAX_DIMS];
    for (int i = 0; i < yv.ndim; i++) {
        if (lo[i] < 0 || lo[i] + xv.dims[i] > yv.dims[i]) return cudaErrorInvalidValue;
        order[i] = i;
    }
    /* dims by decreasing y stride, so that consecutive threads write consecutive elements */
    for (int i = 1; i < yv.ndim; i++)
        for (int j = i; j > 0 && yv.strides[order[j]] > yv.strides[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    g.nd = yv.ndim;
    for (int k = 0; k < yv.ndim; k++) {
        int d = order[k];
        g.dims[k] = yv.dims[d];
        g.ys[k] = yv.strides[d];
        g.xs[k] = xv.strides[d];
        g.lo[k] = lo[d];
        g.xdims[k] = xv.dims[d];
    }
    if (g.n == 0) return cudaSuccess;
    PARNK_LAUNCH(grid_for(g.n), BLOCK, stream, pad_kernel)(g, y, x, value);
    return launched();
}

cudaError_t parn_k_reshape(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                           parn_kview xv)
{
    if (!view_ok(yv) || !view_ok(xv) || numel(yv) != numel(xv)) return cudaErrorInvalidValue;
    const int64_t *ys[] = {yv.strides}, *xs[] = {xv.strides};
    Walk wy = make_walk(yv.ndim, yv.dims, 1, ys, false), wx = make_walk(xv.ndim, xv.dims, 1, xs, false);
    if (wy.n == 0) return cudaSuccess;
    if (wy.n <= (int64_t)UINT32_MAX)
        PARNK_LAUNCH(grid_for(wy.n), BLOCK, stream, reshape_kernel<uint32_t>)(wy, wx, y, x);
    else
        PARNK_LAUNCH(grid_for(wy.n), BLOCK, stream, reshape_kernel<uint64_t>)(wy, wx, y, x);
    return launched();
}

cudaError_t parn_k_permute(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                           parn_kview xv, const int *perm)
{
    if (!view_ok(yv) || !view_ok(xv) || yv.ndim != xv.ndim || (yv.ndim > 0 && !perm))
        return cudaErrorInvalidValue;
    int64_t xs[PARN_K_MAX_DIMS];
    unsigned seen = 0;
    for (int i = 0; i < yv.ndim; i++) {
        int p = perm[i];
        if (p < 0 || p >= xv.ndim || (seen & (1u << p)) || xv.dims[p] != yv.dims[i])
            return cudaErrorInvalidValue;
        seen |= 1u << p;
        xs[i] = xv.strides[p];
    }
    return copy_box(stream, yv.ndim, yv.dims, y, yv.strides, x, xs);
}
