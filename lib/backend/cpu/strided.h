/* SPDX-License-Identifier: MIT */
/* Strided walks for the plumbing kernels (reduce, shape, dropout): a box of up to five logical
 * dims visited in the memory order of its first operand, split into segments among threads. */
#ifndef PARN_CPU_STRIDED_H
#define PARN_CPU_STRIDED_H

#include "graph/tensor.h"

#define PARN_WALK_MAX_OPS 3
/* Elements per unit of work: long enough to amortize the call, short enough to balance threads. */
#define PARN_WALK_SEGMENT 16384
/* Tile edge when operands disagree on the contiguous dim (16 x 16 measured best). */
#define PARN_WALK_TILE 16
/* Below this many elements a walk runs on one thread. */
#define PARN_WALK_PARALLEL 32768

/* A box walked as rows of the innermost dim of operand 0 (its smallest stride). Size-1 dims are
 * dropped and dims contiguous in every operand are merged, so a dense same-layout walk is a
 * single row whatever the logical layout. When another operand is contiguous along a different
 * dim (channels-last against plain), that dim becomes dims[nd - 2] and the walk goes tile by
 * tile, so both operands read whole cache lines. */
typedef struct parn_walk {
    int nd, nops;
    int64_t dims[PARN_MAX_DIMS];
    int64_t st[PARN_WALK_MAX_OPS][PARN_MAX_DIMS];
    int64_t cols;   /* dims[nd - 1] */
    bool tiled;
} parn_walk;

/* Called for n consecutive elements of one row; off[k] is operand k's first element, and
 * w->st[k][w->nd - 1] its stride along the row. */
typedef void (*parn_walk_fn)(const parn_walk *w, const int64_t *off, int64_t n, void *arg);

void parn_walk_init(parn_walk *w, int ndim, const int64_t *dims, int nops,
                     const int64_t *const *strides);

/* Offsets of index r over the outer dims dims[0 .. n_outer - 1]. */
void parn_walk_outer(const parn_walk *w, int64_t r, int n_outer, int64_t *off);

/* Runs fn over the whole walk, in parallel when it is large. */
void parn_walk_run(const parn_walk *w, parn_walk_fn fn, void *arg);

/* dst[i] = src[i] over a box of logical dims; strides may differ, and src strides may be 0
 * (broadcast). */
void parn_walk_copy(int ndim, const int64_t *dims, float *dst, const int64_t *ds,
                     const float *src, const int64_t *ss);

/* dst[i] = value over a box of logical dims. */
void parn_walk_fill(int ndim, const int64_t *dims, float *dst, const int64_t *ds,
                     float value);

#endif
