/* SPDX-License-Identifier: MIT */
/* Sum and mean over axes (and sum_to, the gradient of broadcasting), and expand. Sums run in
 * double in a fixed order, so results are deterministic. Two strategies by shape:
 * - few elements per output, or many outputs: one thread per output walks its reduced box;
 * - many outputs over boxes contiguous in memory (rows): one warp per output;
 * - few outputs over many elements (bias gradients, global means): each output's box is split
 *   among P blocks, each block sums its part with a tree, and when P > 1 a second pass adds the
 *   P partials of each output in order (workspace: outputs x P doubles). */
#include "common.cuh"

using namespace parnk;

namespace {

/* Blocks the split strategy aims for, and the least work per block before splitting. */
constexpr int64_t TARGET_BLOCKS = 1024;
constexpr int64_t MIN_PER_BLOCK = 4 * BLOCK;

enum strategy { PER_THREAD, PER_WARP, SPLIT };

struct plan {
    strategy how;
    int64_t splits; /* P: blocks per output (split strategy) */
};

/* contiguous: the reduced box's innermost dim has stride 1 in x, so a warp reads it coalesced. */
plan plan_of(int64_t outputs, int64_t per_output, bool contiguous)
{
    if (per_output < 32) return {PER_THREAD, 1};
    if (contiguous && outputs >= 2048) return {PER_WARP, 1};
    if (outputs >= 65536) return {PER_THREAD, 1};
    int64_t want = (TARGET_BLOCKS + outputs - 1) / outputs;
    int64_t most = (per_output + MIN_PER_BLOCK - 1) / MIN_PER_BLOCK;
    int64_t p = want < most ? want : most;
    return {SPLIT, p < 1 ? 1 : p};
}

size_t workspace_of(const plan &p, int64_t outputs)
{
    return p.how != SPLIT || p.splits == 1 ? 0 : (size_t)(outputs * p.splits) * sizeof(double);
}

/* A reduction of x: the outputs walk (operand 0: y, operand 1: x) and the reduced box (x). */
struct job {
    Walk outputs, box;
    int64_t m, r;    /* outputs, elements per output */
    bool contiguous; /* the box's innermost dim is contiguous in x */
};

/* ys[i]: y's stride along x's dim i, 0 along the reduced dims (bit i of reduced). */
job job_of(const parn_kview &xv, const int64_t *ys, unsigned reduced)
{
    int64_t kept[PARN_K_MAX_DIMS], red[PARN_K_MAX_DIMS];
    for (int i = 0; i < xv.ndim; i++) {
        bool r = reduced & (1u << i);
        kept[i] = r ? 1 : xv.dims[i];
        red[i] = r ? xv.dims[i] : 1;
    }
    job j;
    const int64_t *ost[] = {ys, xv.strides}, *bst[] = {xv.strides};
    j.outputs = make_walk(xv.ndim, kept, 2, ost);
    j.box = make_walk(xv.ndim, red, 1, bst);
    j.m = j.outputs.n;
    j.r = j.box.n;
    j.contiguous = j.box.nd > 0 && j.box.st[0][j.box.nd - 1] == 1;
    return j;
}

/* One thread per output: the box walked with an incremental multi-index (no division). */
template <typename I>
__global__ void per_thread_kernel(Walk outputs, Walk box, const float *x, float *y, double scale)
{
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t o = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; o < outputs.n; o += step) {
        int64_t off[2];
        walk_offsets<2, I>(outputs, o, off);
        const float *p = x + off[1];
        int64_t idx[PARN_K_MAX_DIMS] = {0}, at = 0;
        double sum = 0;
        for (int64_t r = 0; r < box.n; r++) {
            sum += p[at];
            for (int d = box.nd - 1; d >= 0; d--) {
                at += box.st[0][d];
                if (++idx[d] < box.dims[d]) break;
                at -= box.st[0][d] * box.dims[d];
                idx[d] = 0;
            }
        }
        y[off[0]] = (float)(sum * scale);
    }
}

/* One warp per output: lanes stride through the box together (coalesced when it is
 * contiguous), then a fixed shuffle tree. */
template <typename I>
__global__ void per_warp_kernel(Walk outputs, Walk box, const float *x, float *y, double scale)
{
    int lane = threadIdx.x & 31;
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int64_t warps = ((int64_t)blockDim.x * gridDim.x) >> 5;
    for (int64_t o = warp; o < outputs.n; o += warps) {
        int64_t off[2];
        walk_offsets<2, I>(outputs, o, off);
        const float *p = x + off[1];
        double sum = 0;
        for (int64_t r = lane; r < box.n; r += 32) {
            int64_t at;
            walk_offsets<1, I>(box, r, &at);
            sum += p[at];
        }
        sum = warp_sum(sum);
        if (lane == 0) y[off[0]] = (float)(sum * scale);
    }
}

/* Block b sums part b % splits of output b / splits; with one split it writes y directly. */
template <typename I>
__global__ void split_kernel(Walk outputs, Walk box, int64_t splits, const float *x, float *y,
                             double *partial, double scale)
{
    int64_t o = blockIdx.x / splits, part = blockIdx.x % splits;
    int64_t per = (box.n + splits - 1) / splits, begin = part * per;
    int64_t end = begin + per < box.n ? begin + per : box.n;
    int64_t off[2];
    walk_offsets<2, I>(outputs, o, off);
    const float *p = x + off[1];
    double sum = 0;
    for (int64_t r = begin + threadIdx.x; r < end; r += blockDim.x) {
        int64_t at;
        walk_offsets<1, I>(box, r, &at);
        sum += p[at];
    }
    sum = block_sum(sum);
    if (threadIdx.x != 0) return;
    if (splits == 1)
        y[off[0]] = (float)(sum * scale);
    else
        partial[o * splits + part] = sum;
}

template <typename I>
__global__ void finish_kernel(Walk outputs, int64_t splits, const double *partial, float *y,
                              double scale)
{
    int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t o = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; o < outputs.n; o += step) {
        double sum = 0;
        for (int64_t k = 0; k < splits; k++) sum += partial[o * splits + k];
        int64_t off[1];
        walk_offsets<1, I>(outputs, o, off);
        y[off[0]] = (float)(sum * scale);
    }
}

template <typename I>
void launch(cudaStream_t s, const job &j, const plan &p, const float *x, float *y, double *ws,
            double scale)
{
    switch (p.how) {
    case PER_THREAD:
        PARNK_LAUNCH(grid_for(j.m), BLOCK, s, per_thread_kernel<I>)(j.outputs, j.box, x, y, scale);
        return;
    case PER_WARP:
        PARNK_LAUNCH(grid_for(j.m * 32), BLOCK, s, per_warp_kernel<I>)(j.outputs, j.box, x, y, scale);
        return;
    case SPLIT:
        PARNK_LAUNCH((unsigned)(j.m * p.splits), BLOCK, s, split_kernel<I>)(j.outputs, j.box, p.splits,
                                                                            x, y, ws, scale);
        if (p.splits > 1)
            PARNK_LAUNCH(grid_for(j.m), BLOCK, s, finish_kernel<I>)(j.outputs, p.splits, ws, y, scale);
        return;
    }
}

cudaError_t run(cudaStream_t s, const job &j, bool mean, const float *x, float *y, void *ws,
                size_t ws_bytes)
{
    if (j.m == 0) return cudaSuccess;
    plan p = plan_of(j.m, j.r, j.contiguous);
    if (ws_bytes < workspace_of(p, j.m) || (p.how == SPLIT && j.m * p.splits > INT32_MAX))
        return cudaErrorInvalidValue;
    double scale = mean ? 1.0 / (double)j.r : 1.0;
    bool small = j.m <= (int64_t)UINT32_MAX && j.r <= (int64_t)UINT32_MAX;
    if (small)
        launch<uint32_t>(s, j, p, x, y, (double *)ws, scale);
    else
        launch<uint64_t>(s, j, p, x, y, (double *)ws, scale);
    return launched();
}

/* Validates y against x reduced over axes (keepdim or not); fills y's strides per x dim. */
bool reduce_strides(unsigned axes, bool keepdim, const parn_kview &yv, const parn_kview &xv,
                    int64_t *ys)
{
    if (!view_ok(xv) || !view_ok(yv) || axes == 0 || (axes >> xv.ndim) != 0) return false;
    int j = 0;
    for (int i = 0; i < xv.ndim; i++) {
        bool r = axes & (1u << i);
        ys[i] = 0;
        if (r && !keepdim) continue;
        if (j >= yv.ndim || yv.dims[j] != (r ? 1 : xv.dims[i])) return false;
        if (!r) ys[i] = yv.strides[j];
        j++;
    }
    return j == yv.ndim;
}

/* The dims of x that sum_to reduces (leading ones, and where y has 1), and y's strides per x
 * dim; false when y's dims are not a broadcast source of x's. */
bool sum_to_strides(const parn_kview &yv, const parn_kview &xv, unsigned *reduced, int64_t *ys)
{
    if (!view_ok(xv) || !view_ok(yv) || yv.ndim > xv.ndim) return false;
    int lead = xv.ndim - yv.ndim;
    *reduced = 0;
    for (int i = 0; i < xv.ndim; i++) {
        ys[i] = 0;
        if (i < lead) {
            *reduced |= 1u << i;
            continue;
        }
        int64_t d = yv.dims[i - lead];
        if (d == xv.dims[i]) {
            ys[i] = yv.strides[i - lead];
        } else if (d == 1) {
            *reduced |= 1u << i;
        } else {
            return false;
        }
    }
    return true;
}

} // namespace

size_t parn_k_reduce_workspace(unsigned axes, parn_kview xv)
{
    if (!view_ok(xv)) return 0;
    int64_t ys[PARN_K_MAX_DIMS] = {0}; /* y's strides do not change the plan */
    job j = job_of(xv, ys, axes);
    return workspace_of(plan_of(j.m, j.r, j.contiguous), j.m);
}

cudaError_t parn_k_reduce(cudaStream_t stream, unsigned axes, bool mean, bool keepdim, float *y,
                          parn_kview yv, const float *x, parn_kview xv, void *workspace,
                          size_t workspace_bytes)
{
    int64_t ys[PARN_K_MAX_DIMS];
    if (!reduce_strides(axes, keepdim, yv, xv, ys)) return cudaErrorInvalidValue;
    return run(stream, job_of(xv, ys, axes), mean, x, y, workspace, workspace_bytes);
}

size_t parn_k_sum_to_workspace(parn_kview yv, parn_kview xv)
{
    unsigned reduced;
    int64_t ys[PARN_K_MAX_DIMS];
    if (!sum_to_strides(yv, xv, &reduced, ys)) return 0;
    return parn_k_reduce_workspace(reduced, xv);
}

cudaError_t parn_k_sum_to(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                          parn_kview xv, void *workspace, size_t workspace_bytes)
{
    unsigned reduced;
    int64_t ys[PARN_K_MAX_DIMS];
    if (!sum_to_strides(yv, xv, &reduced, ys)) return cudaErrorInvalidValue;
    return run(stream, job_of(xv, ys, reduced), false, x, y, workspace, workspace_bytes);
}

namespace {
struct copy_op {
    __device__ float operator()(float x, float, float) const { return x; }
};
} // namespace

cudaError_t parn_k_expand(cudaStream_t stream, float *y, parn_kview yv, const float *x,
                          parn_kview xv)
{
    if (!view_ok(yv) || !view_ok(xv) || xv.ndim != yv.ndim) return cudaErrorInvalidValue;
    int64_t xs[PARN_K_MAX_DIMS];
    for (int i = 0; i < xv.ndim; i++) {
        if (xv.dims[i] != yv.dims[i] && xv.dims[i] != 1) return cudaErrorInvalidValue;
        xs[i] = xv.dims[i] == 1 ? 0 : xv.strides[i];
    }
    const int64_t *st[] = {yv.strides, xs};
    return run_map<1>(stream, make_walk(yv.ndim, yv.dims, 2, st), y, x, nullptr, nullptr,
                      copy_op{});
}
