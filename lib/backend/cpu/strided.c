/* SPDX-License-Identifier: MIT */
/* Strided walks over boxes of up to five logical dims (see strided.h). */
#include "strided.h"

#include <omp.h>
#include <string.h>

/* How the walk splits into units of work: blocks of `along` indices of dim nd - 2 (tiled) or of
 * whole rows, times blocks of `width` columns. */
typedef struct parn_walk_units {
    int n_outer;            /* dims before the blocked ones */
    int64_t along, width;   /* block sizes */
    int64_t n_along, n_width, count;
} parn_walk_units;

/* Moves dim d to position nd - 2 (just outside the row). */
static void parn_walk_move_inside(parn_walk *w, int d)
{
    for (int i = d; i < w->nd - 2; i++) {
        int64_t t = w->dims[i];
        w->dims[i] = w->dims[i + 1];
        w->dims[i + 1] = t;
        for (int op = 0; op < w->nops; op++) {
            t = w->st[op][i];
            w->st[op][i] = w->st[op][i + 1];
            w->st[op][i + 1] = t;
        }
    }
}

/* Tiles when some operand is strided along the row but contiguous along another dim. */
static void parn_walk_choose_tiling(parn_walk *w)
{
    int last = w->nd - 1;
    w->tiled = false;
    if (w->cols < PARN_WALK_TILE) return;
    for (int op = 1; op < w->nops; op++) {
        int best = -1;
        for (int i = 0; i < last; i++)
            if (w->st[op][i] > 0 && (best < 0 || w->st[op][i] < w->st[op][best])) best = i;
        if (best >= 0 && w->st[op][best] < w->st[op][last] && w->st[op][last] > 1) {
            parn_walk_move_inside(w, best);
            w->tiled = true;
            return;
        }
    }
}

void parn_walk_init(parn_walk *w, int ndim, const int64_t *dims, int nops,
                                  const int64_t *const *strides)
{
    int order[PARN_MAX_DIMS], n = 0;
    for (int i = 0; i < ndim; i++)
        if (dims[i] > 1) order[n++] = i;
    /* stable insertion sort, largest stride of operand 0 first */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strides[0][order[j]] > strides[0][order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    w->nops = nops;
    w->nd = 0;
    for (int k = 0; k < n; k++) {
        int d = order[k];
        bool merge = w->nd > 0;
        for (int op = 0; op < nops && merge; op++)
            merge = w->st[op][w->nd - 1] == strides[op][d] * dims[d];
        if (merge) {
            w->dims[w->nd - 1] *= dims[d];
            for (int op = 0; op < nops; op++) w->st[op][w->nd - 1] = strides[op][d];
            continue;
        }
        w->dims[w->nd] = dims[d];
        for (int op = 0; op < nops; op++) w->st[op][w->nd] = strides[op][d];
        w->nd++;
    }
    if (w->nd == 0) {
        w->nd = 1;
        w->dims[0] = 1;
        for (int op = 0; op < nops; op++) w->st[op][0] = 0;
    }
    w->cols = w->dims[w->nd - 1];
    parn_walk_choose_tiling(w);
}

void parn_walk_outer(const parn_walk *w, int64_t r, int n_outer, int64_t *off)
{
    for (int op = 0; op < w->nops; op++) off[op] = 0;
    for (int i = n_outer - 1; i >= 0; i--) {
        int64_t k = r % w->dims[i];
        r /= w->dims[i];
        for (int op = 0; op < w->nops; op++) off[op] += k * w->st[op][i];
    }
}

static parn_walk_units parn_walk_split(const parn_walk *w)
{
    parn_walk_units u;
    int64_t outer = 1, rows;
    if (w->tiled) {
        u.n_outer = w->nd - 2;
        rows = w->dims[w->nd - 2];
        u.along = u.width = PARN_WALK_TILE;
    } else {
        u.n_outer = 0;
        rows = 1;
        for (int i = 0; i < w->nd - 1; i++) rows *= w->dims[i];
        u.width = w->cols < PARN_WALK_SEGMENT ? w->cols : PARN_WALK_SEGMENT;
        u.along = PARN_WALK_SEGMENT / u.width;
    }
    for (int i = 0; i < u.n_outer; i++) outer *= w->dims[i];
    u.n_along = (rows + u.along - 1) / u.along;
    u.n_width = (w->cols + u.width - 1) / u.width;
    u.count = outer * u.n_along * u.n_width;
    return u;
}

/* Runs one unit: rows [a0, a1) of the blocked dim(s), columns [c0, c0 + n). */
static void parn_walk_unit(const parn_walk *w, const parn_walk_units *u, int64_t unit,
                                  parn_walk_fn fn, void *arg)
{
    int64_t cb = unit % u->n_width, ab = unit / u->n_width % u->n_along;
    int64_t base[PARN_WALK_MAX_OPS], row[PARN_WALK_MAX_OPS];
    int last = w->nd - 1;
    parn_walk_outer(w, unit / u->n_width / u->n_along, u->n_outer, base);
    int64_t rows = 1;
    for (int i = u->n_outer; i < last; i++) rows *= w->dims[i];
    int64_t a0 = ab * u->along, a1 = a0 + u->along < rows ? a0 + u->along : rows;
    int64_t c0 = cb * u->width, n = w->cols - c0 < u->width ? w->cols - c0 : u->width;
    for (int64_t a = a0; a < a1; a++) {
        /* a indexes the dims between the outer ones and the row */
        int64_t r = a;
        for (int op = 0; op < w->nops; op++) row[op] = base[op] + c0 * w->st[op][last];
        for (int i = last - 1; i >= u->n_outer; i--) {
            int64_t k = r % w->dims[i];
            r /= w->dims[i];
            for (int op = 0; op < w->nops; op++) row[op] += k * w->st[op][i];
        }
        fn(w, row, n, arg);
    }
}

void parn_walk_run(const parn_walk *w, parn_walk_fn fn, void *arg)
{
    parn_walk_units u = parn_walk_split(w);
    int64_t total = 1;
    for (int i = 0; i < w->nd; i++) total *= w->dims[i];
#pragma omp parallel for schedule(static) if (total > PARN_WALK_PARALLEL && u.count > 1)
    for (int64_t k = 0; k < u.count; k++) parn_walk_unit(w, &u, k, fn, arg);
}

typedef struct parn_walk_buffers {
    float *dst;
    const float *src;
    float value;
} parn_walk_buffers;

static void parn_walk_copy_segment(const parn_walk *w, const int64_t *off, int64_t n,
                                          void *arg)
{
    const parn_walk_buffers *b = arg;
    int64_t ds = w->st[0][w->nd - 1], ss = w->st[1][w->nd - 1];
    float *d = b->dst + off[0];
    const float *s = b->src + off[1];
    if (ds == 1 && ss == 1) {
        memcpy(d, s, (size_t)n * sizeof(float));
    } else if (ss == 0) {
        for (int64_t i = 0; i < n; i++) d[i * ds] = *s;
    } else {
        for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss];
    }
}

void parn_walk_copy(int ndim, const int64_t *dims, float *dst, const int64_t *ds,
                                  const float *src, const int64_t *ss)
{
    parn_walk w;
    parn_walk_init(&w, ndim, dims, 2, (const int64_t *const[]){ds, ss});
    parn_walk_buffers b = {dst, src, 0.0f};
    parn_walk_run(&w, parn_walk_copy_segment, &b);
}

static void parn_walk_fill_segment(const parn_walk *w, const int64_t *off, int64_t n,
                                          void *arg)
{
    const parn_walk_buffers *b = arg;
    int64_t ds = w->st[0][w->nd - 1];
    float *d = b->dst + off[0];
    for (int64_t i = 0; i < n; i++) d[i * ds] = b->value;
}

void parn_walk_fill(int ndim, const int64_t *dims, float *dst, const int64_t *ds,
                                  float value)
{
    parn_walk w;
    parn_walk_init(&w, ndim, dims, 1, (const int64_t *const[]){ds});
    parn_walk_buffers b = {dst, NULL, value};
    parn_walk_run(&w, parn_walk_fill_segment, &b);
}
