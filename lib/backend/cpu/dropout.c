/* SPDX-License-Identifier: MIT */
/* Dropout: the scaled keep mask drawn from the graph's generator, then y = x * mask. */
#include "cpu.h"
#include "cpu_kernels.h"
#include "strided.h"

#include <omp.h>
#include <string.h>

#include <math.h>

typedef struct dropout_args {
    float *y;
    const float *x, *mask;
} dropout_args;

static void mul_segment(const parn_walk *w, const int64_t *off, int64_t n, void *arg)
{
    const dropout_args *a = arg;
    int last = w->nd - 1;
    int64_t ys = w->st[0][last], xs = w->st[1][last], ms = w->st[2][last];
    float *y = a->y + off[0];
    const float *x = a->x + off[1], *m = a->mask + off[2];
    for (int64_t i = 0; i < n; i++) y[i * ys] = x[i * xs] * m[i * ms];
}

/* Fills mask chunk k (logical row-major order; parn__dropout_mask_chunk); also writes y when x
 * and y are plain. */
static void draw_chunk(uint64_t seed, int64_t k, int64_t total, float p, float *mask,
                       const float *x, float *y)
{
    parn__dropout_mask_chunk(seed, k, total, p, mask);
    if (!y) return;
    int64_t begin = k * PARN_DROPOUT_CHUNK;
    int64_t end = begin + PARN_DROPOUT_CHUNK < total ? begin + PARN_DROPOUT_CHUNK : total;
    for (int64_t i = begin; i < end; i++) y[i] = x[i] * mask[i];
}

parn_status parn_cpu_dropout(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    parn_tensor *y = &n->out;
    if (!n->attrs.dropout.training) {
        parn_walk_copy(y->ndim, y->dims, y->data, y->strides, x->data, x->strides);
        return PARN_OK;
    }
    parn_tensor *mask = &n->side[0];
    bool fused = parn_tensor_is_plain(x) && parn_tensor_is_plain(y);
    uint64_t seed = parn__rng_next(parn_graph_rng(g));
    int64_t total = parn_tensor_numel(y), chunks = (total + PARN_DROPOUT_CHUNK - 1) / PARN_DROPOUT_CHUNK;
#pragma omp parallel for schedule(static) if (total > PARN_WALK_PARALLEL)
    for (int64_t k = 0; k < chunks; k++)
        draw_chunk(seed, k, total, n->attrs.dropout.p, mask->data, x->data, fused ? y->data : NULL);
    if (fused) return PARN_OK;
    parn_walk w;
    parn_walk_init(&w, y->ndim, y->dims, 3,
                   (const int64_t *const[]){y->strides, x->strides, mask->strides});
    dropout_args a = {y->data, x->data, mask->data};
    parn_walk_run(&w, mul_segment, &a);
    return PARN_OK;
}
