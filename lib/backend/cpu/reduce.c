/* SPDX-License-Identifier: MIT */
/* Sum and mean over axes, and broadcasting (expand), in plain C over any strides (OpenMP). */
#include "cpu.h"
#include "cpu_kernels.h"
#include "strided.h"

#include <omp.h>
#include <string.h>

/* Outputs up to this size are accumulated in per-thread partial sums during one walk over x
 * in its memory order (bias gradients, global means); larger outputs are computed element by
 * element over the reduced box, which never reads x more than once either. */
#define PARTIAL_SUMS_MAX 16384

typedef struct reduce_args {
    const float *x;
    float *y;
    double *partial;      /* threads x ny partial sums, indexed by y offsets */
    int64_t ny;
    double scale;         /* 1 for a sum, 1 / count for a mean */
    const parn_walk *box; /* the reduced box of one output element, in x's strides */
} reduce_args;

/* Strides of y seen along each dim of x: 0 along reduced dims. */
static void y_strides_per_x_dim(const parn_node *n, const parn_tensor *x, int64_t *ys)
{
    const parn_reduce_attrs *a = &n->attrs.reduce;
    for (int i = 0, j = 0; i < x->ndim; i++) {
        bool reduced = a->axes & (1u << i);
        ys[i] = reduced ? 0 : n->out.strides[j];
        if (!reduced || a->keepdim) j++;
    }
}

/* p[0] + p[st] + ... + p[(n - 1) * st], with four partial sums to break the dependency chain. */
static double strided_sum(const float *p, int64_t n, int64_t st)
{
    double s[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) s[k] += p[(i + k) * st];
    for (; i < n; i++) s[0] += p[i * st];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

static void partial_segment(const parn_walk *w, const int64_t *off, int64_t n, void *arg)
{
    const reduce_args *a = arg;
    int64_t xs = w->st[0][w->nd - 1], ys = w->st[1][w->nd - 1];
    const float *px = a->x + off[0];
    double *acc = a->partial + omp_get_thread_num() * a->ny + off[1];
    if (ys == 0) {
        *acc += strided_sum(px, n, xs);
    } else {
        for (int64_t i = 0; i < n; i++) acc[i * ys] += px[i * xs];
    }
}

static parn_status reduce_by_partial_sums(parn_cpu_scratch *partial, const parn_tensor *x,
                                          const int64_t *ys, parn_tensor *y, double scale)
{
    int threads = omp_get_max_threads();
    int64_t ny = parn_tensor_numel(y);
    PARN_TRY(parn_cpu_scratch_reserve(partial, (size_t)(threads * ny) * sizeof(double)));
    reduce_args a = {.x = x->data, .partial = (double *)partial->data, .ny = ny};
    memset(a.partial, 0, (size_t)(threads * ny) * sizeof(double));
    parn_walk w;
    parn_walk_init(&w, x->ndim, x->dims, 2, (const int64_t *const[]){x->strides, ys});
    parn_walk_run(&w, partial_segment, &a);
    /* y is dense, so its offsets are exactly [0, ny) */
    for (int64_t k = 0; k < ny; k++) {
        double sum = 0;
        for (int t = 0; t < threads; t++) sum += a.partial[t * ny + k];
        y->data[k] = (float)(sum * scale);
    }
    return PARN_OK;
}

/* Outputs summed together when the box is walked outside them (see box_segment). */
#define RUN 256

/* Number of rows of a walk (its dims but the innermost). */
static int64_t rows_of(const parn_walk *w)
{
    int64_t rows = 1;
    for (int i = 0; i < w->nd - 1; i++) rows *= w->dims[i];
    return rows;
}

/* The sum of the box at p. */
static double box_sum(const parn_walk *box, const float *p)
{
    int64_t st = box->st[0][box->nd - 1], rows = rows_of(box), off;
    double s = 0;
    for (int64_t r = 0; r < rows; r++) {
        parn_walk_outer(box, r, box->nd - 1, &off);
        s += strided_sum(p + off, box->cols, st);
    }
    return s;
}

/* Adds the box at p + i * xs into acc[i] for n outputs: one box element at a time, so the
 * inner loop follows x when the outputs, not the box, are contiguous in x. */
static void box_sums(const parn_walk *box, const float *p, int64_t xs, int64_t n, double *acc)
{
    int64_t st = box->st[0][box->nd - 1], rows = rows_of(box), off;
    for (int64_t i = 0; i < n; i++) acc[i] = 0;
    for (int64_t r = 0; r < rows; r++) {
        parn_walk_outer(box, r, box->nd - 1, &off);
        for (int64_t c = 0; c < box->cols; c++) {
            const float *q = p + off + c * st;
            for (int64_t i = 0; i < n; i++) acc[i] += q[i * xs];
        }
    }
}

static void box_segment(const parn_walk *w, const int64_t *off, int64_t n, void *arg)
{
    const reduce_args *a = arg;
    int64_t ys = w->st[0][w->nd - 1], xs = w->st[1][w->nd - 1];
    const float *x = a->x + off[1];
    float *y = a->y + off[0];
    if (a->box->st[0][a->box->nd - 1] < xs) { /* the box is the contiguous part of x */
        for (int64_t i = 0; i < n; i++) y[i * ys] = (float)(a->scale * box_sum(a->box, x + i * xs));
        return;
    }
    double acc[RUN];
    for (int64_t i0 = 0; i0 < n; i0 += RUN) {
        int64_t m = n - i0 < RUN ? n - i0 : RUN;
        box_sums(a->box, x + i0 * xs, xs, m, acc);
        for (int64_t i = 0; i < m; i++) y[(i0 + i) * ys] = (float)(a->scale * acc[i]);
    }
}

static void reduce_by_boxes(const parn_node *n, const parn_tensor *x, const int64_t *ys,
                            parn_tensor *y, double scale)
{
    int64_t kept[PARN_MAX_DIMS], reduced[PARN_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) {
        bool r = n->attrs.reduce.axes & (1u << i);
        kept[i] = r ? 1 : x->dims[i];
        reduced[i] = r ? x->dims[i] : 1;
    }
    parn_walk outputs, box;
    parn_walk_init(&outputs, x->ndim, kept, 2, (const int64_t *const[]){ys, x->strides});
    parn_walk_init(&box, x->ndim, reduced, 1, (const int64_t *const[]){x->strides});
    reduce_args a = {.x = x->data, .y = y->data, .scale = scale, .box = &box};
    parn_walk_run(&outputs, box_segment, &a);
}

parn_status parn_cpu_reduce(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    int64_t ys[PARN_MAX_DIMS], ny = parn_tensor_numel(&n->out);
    double scale = n->attrs.reduce.mean ? (double)ny / (double)parn_tensor_numel(x) : 1.0;
    y_strides_per_x_dim(n, x, ys);
    if (ny > PARTIAL_SUMS_MAX) {
        reduce_by_boxes(n, x, ys, &n->out, scale);
        return PARN_OK;
    }
    parn_cpu_scratch_state *s = parn_cpu_scratch_state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "reduce: out of memory");
    return reduce_by_partial_sums(&s->scratch[0], x, ys, &n->out, scale);
}

parn_status parn_cpu_expand(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    int64_t xs[PARN_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) xs[i] = x->dims[i] == 1 ? 0 : x->strides[i];
    parn_walk_copy(n->out.ndim, n->out.dims, n->out.data, n->out.strides, x->data, xs);
    return PARN_OK;
}
