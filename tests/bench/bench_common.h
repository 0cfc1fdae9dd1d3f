/* SPDX-License-Identifier: MIT */
/* What the benchmarks share: random data and the median time of repeated runs. */
#ifndef PARN_BENCH_COMMON_H
#define PARN_BENCH_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* n floats scale * (u - shift) with u uniform in [0, 1] from rand(); the caller frees them. */
static inline float *bench_random(int64_t n, float scale, float shift)
{
    float *d = malloc((size_t)n * sizeof(float));
    if (d)
        for (int64_t i = 0; i < n; i++) d[i] = scale * ((float)rand() / (float)RAND_MAX - shift);
    return d;
}

/* The number of elements of a tensor of the given dims. */
static inline int64_t bench_numel(int ndim, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= dims[i];
    return n;
}

/* Calls run(arg) warmup times, then iters times timed; *median_ms gets the median time of the
 * timed calls. False as soon as a call fails. */
static inline bool bench_median_ms(bool (*run)(void *arg), void *arg, int warmup, int iters,
                                   double *median_ms)
{
    double *ms = malloc((size_t)iters * sizeof(double));
    bool ok = ms != NULL;
    for (int i = -warmup; ok && i < iters; i++) {
        double t0 = bench_now_ms();
        ok = run(arg);
        if (i >= 0) ms[i] = bench_now_ms() - t0;
    }
    if (ok) {
        qsort(ms, (size_t)iters, sizeof(double), bench_cmp_double);
        *median_ms = ms[iters / 2];
    }
    free(ms);
    return ok;
}

#ifdef PARN_BACKEND_H /* with the internal API (backend/backend.h included first) */

/* A graph to run on a backend context, as bench_median_ms's run and arg. */
typedef struct bench_graph_run {
    parn_graph *g;
    const parn_backend *be;
    parn_backend_ctx *ctx;
} bench_graph_run;

static inline bool bench_run_graph(void *arg)
{
    bench_graph_run *r = arg;
    return parn_graph_run(r->g, r->be, r->ctx) == PARN_OK;
}

#endif

#endif
