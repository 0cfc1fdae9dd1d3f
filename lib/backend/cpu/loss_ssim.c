/* SPDX-License-Identifier: MIT */
/* SSIM and its exact gradient in plain C. Per image plane (OpenMP over N x C planes), five local
 * statistics go through a separable 'valid' Gaussian filter; the gradient maps the per-pixel
 * sensitivities to those statistics back through the filter's adjoint (a full correlation). */
#include "cpu.h"
#include "cpu_kernels.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* The filtered statistics of a plane: E[x], E[y], E[x^2], E[y^2], E[xy]. */
enum { MU_X, MU_Y, E_XX, E_YY, E_XY, N_STATS };
/* The sensitivity maps of the gradient, stored over the first three statistics. */
enum { D_MU, D_SQ, D_XY, N_MAPS };

/* The node's scratch buffers (a parn_cpu_scratch_state). */
enum {
    WORK, /* per-thread plane buffers, then the window's taps */
    SUMS, /* per-plane sums of the SSIM map (doubles), summed in order */
};

/* What one run needs: the planes' geometry, the window, the constants and the buffers. */
typedef struct ssim_plan {
    int64_t planes, h, w, ho, wo;
    int k;
    const float *taps;
    double c1, c2;
    float *work; /* thread_floats per thread (see bufs_of), then the taps */
    size_t thread_floats;
    double *sums; /* one per plane */
} ssim_plan;

/* One thread's buffers. */
typedef struct plane_bufs {
    float *x, *y; /* h x w copies of the planes */
    float *hor;   /* N_STATS planes of h x wo: the horizontal pass (adjoint: vertical) */
    float *stat;  /* N_STATS planes of ho x wo: the statistics (backward: the maps) */
    float *rows;  /* N_MAPS rows of w: the horizontal adjoint of one row */
} plane_bufs;

static plane_bufs bufs_of(const ssim_plan *p, int thread)
{
    plane_bufs b;
    b.x = p->work + (size_t)thread * p->thread_floats;
    b.y = b.x + p->h * p->w;
    b.hor = b.y + p->h * p->w;
    b.stat = b.hor + N_STATS * p->h * p->wo;
    b.rows = b.stat + N_STATS * p->ho * p->wo;
    return b;
}

/* The normalised Gaussian window of pytorch-msssim / Wang et al. */
static double gaussian(int i, int k, double sigma)
{
    double d = i - k / 2;
    return exp(-d * d / (2 * sigma * sigma));
}

static void gaussian_taps(float *taps, int k, double sigma)
{
    double sum = 0;
    for (int i = 0; i < k; i++) sum += gaussian(i, k, sigma);
    for (int i = 0; i < k; i++) taps[i] = (float)(gaussian(i, k, sigma) / sum);
}

/* The plan of a run on x (N x C x H x W) with `threads` threads, in the node's scratch. */
static parn_status prepare(parn_node *n, const parn_tensor *x, int threads, ssim_plan *p)
{
    parn_cpu_scratch_state *s = parn_cpu_scratch_state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "ssim: out of memory");
    parn_cpu_scratch *work = &s->scratch[WORK], *sums = &s->scratch[SUMS];
    const parn_loss_attrs *a = &n->attrs.loss;
    p->planes = x->dims[0] * x->dims[1];
    p->c1 = a->c1;
    p->c2 = a->c2;
    p->h = x->dims[2];
    p->w = x->dims[3];
    p->k = a->window;
    p->ho = p->h - p->k + 1;
    p->wo = p->w - p->k + 1;
    size_t floats = (size_t)(2 * p->h * p->w + N_STATS * p->h * p->wo + N_STATS * p->ho * p->wo +
                             N_MAPS * p->w);
    p->thread_floats = (floats + 15) & ~(size_t)15; /* 64-byte aligned, no false sharing */
    size_t taps_at = p->thread_floats * (size_t)threads;
    PARN_TRY(parn_cpu_scratch_reserve(work, (taps_at + (size_t)p->k) * sizeof(float)));
    PARN_TRY(parn_cpu_scratch_reserve(sums, (size_t)p->planes * sizeof(double)));
    gaussian_taps(work->data + taps_at, p->k, a->sigma);
    p->taps = work->data + taps_at;
    p->work = work->data;
    p->sums = (double *)(void *)sums->data;
    return PARN_OK;
}

/* Copies plane `plane` (n * C + c) of t, whatever its strides, into an h x w array. */
static void load_plane(const parn_tensor *t, int64_t plane, float *dst)
{
    const float *src = t->data + plane / t->dims[1] * t->strides[0] + plane % t->dims[1] * t->strides[1];
    int64_t h = t->dims[2], w = t->dims[3], sh = t->strides[2], sw = t->strides[3];
    for (int64_t r = 0; r < h; r++) {
        if (sw == 1) {
            memcpy(dst + r * w, src + r * sh, (size_t)w * sizeof(float));
            continue;
        }
        for (int64_t c = 0; c < w; c++) dst[r * w + c] = src[r * sh + c * sw];
    }
}

/* The five statistics: a horizontal pass over the products, then a vertical pass. */
static void filter_stats(const ssim_plan *p, const plane_bufs *b)
{
    int64_t hw = p->h * p->wo, ow = p->ho * p->wo;
    for (int64_t r = 0; r < p->h; r++) {
        const float *xr = b->x + r * p->w, *yr = b->y + r * p->w;
        float *mx = b->hor + MU_X * hw + r * p->wo, *my = b->hor + MU_Y * hw + r * p->wo;
        float *xx = b->hor + E_XX * hw + r * p->wo, *yy = b->hor + E_YY * hw + r * p->wo;
        float *xy = b->hor + E_XY * hw + r * p->wo;
        for (int64_t j = 0; j < p->wo; j++) mx[j] = my[j] = xx[j] = yy[j] = xy[j] = 0;
        for (int t = 0; t < p->k; t++) {
            float g = p->taps[t];
            for (int64_t j = 0; j < p->wo; j++) {
                float xv = xr[j + t], yv = yr[j + t];
                mx[j] += g * xv;
                my[j] += g * yv;
                xx[j] += g * xv * xv;
                yy[j] += g * yv * yv;
                xy[j] += g * xv * yv;
            }
        }
    }
    for (int m = 0; m < N_STATS; m++)
        for (int64_t i = 0; i < p->ho; i++) {
            float *o = b->stat + m * ow + i * p->wo;
            for (int64_t j = 0; j < p->wo; j++) o[j] = 0;
            for (int t = 0; t < p->k; t++) {
                const float *src = b->hor + m * hw + (i + t) * p->wo;
                float g = p->taps[t];
                for (int64_t j = 0; j < p->wo; j++) o[j] += g * src[j];
            }
        }
}

/* SSIM = (a1 a2) / (b1 b2): luminance and contrast-structure terms of one pixel. */
typedef struct ssim_terms {
    double a1, a2, b1, b2;
} ssim_terms;

static inline ssim_terms terms_of(const float *stat, int64_t ow, int64_t i, double c1, double c2)
{
    double mx = stat[MU_X * ow + i], my = stat[MU_Y * ow + i];
    double vx = stat[E_XX * ow + i] - mx * mx, vy = stat[E_YY * ow + i] - my * my;
    double cxy = stat[E_XY * ow + i] - mx * my;
    return (ssim_terms){2 * mx * my + c1, 2 * cxy + c2, mx * mx + my * my + c1, vx + vy + c2};
}

static double ssim_sum(const ssim_plan *p, const float *stat)
{
    int64_t ow = p->ho * p->wo;
    double sum = 0;
    for (int64_t i = 0; i < ow; i++) {
        ssim_terms t = terms_of(stat, ow, i, p->c1, p->c2);
        sum += t.a1 * t.a2 / (t.b1 * t.b2);
    }
    return sum;
}

/* dL/d(statistic) per pixel for the gradient of input `which` (0: x, 1: y), scaled by gs =
 * dL/dSSIM-pixel, written over the statistics: D_MU (its mean), D_SQ (E of its square),
 * D_XY (E[xy]). With m the mean of the input and o the other's mean:
 *   dS/dm = 2 o (a2 - a1) / (b1 b2) - 2 m S (1/b1 - 1/b2), dS/dE[m^2] = -S / b2,
 *   dS/dE[xy] = 2 a1 / (b1 b2). */
static void sensitivities(const ssim_plan *p, float *stat, int which, double gs)
{
    int64_t ow = p->ho * p->wo;
    for (int64_t i = 0; i < ow; i++) {
        ssim_terms t = terms_of(stat, ow, i, p->c1, p->c2);
        double m = stat[(which ? MU_Y : MU_X) * ow + i], o = stat[(which ? MU_X : MU_Y) * ow + i];
        double d = t.b1 * t.b2, s = t.a1 * t.a2 / d;
        stat[D_MU * ow + i] = (float)(gs * (2 * o * (t.a2 - t.a1) / d - 2 * m * s * (1 / t.b1 - 1 / t.b2)));
        stat[D_SQ * ow + i] = (float)(gs * (-s / t.b2));
        stat[D_XY * ow + i] = (float)(gs * (2 * t.a1 / d));
    }
}

/* The vertical pass's adjoint for the N_MAPS maps: ho x wo -> h x wo. */
static void adjoint_vertical(const ssim_plan *p, const plane_bufs *b)
{
    int64_t hw = p->h * p->wo, ow = p->ho * p->wo;
    memset(b->hor, 0, (size_t)(N_MAPS * hw) * sizeof(float));
    for (int m = 0; m < N_MAPS; m++)
        for (int64_t i = 0; i < p->ho; i++) {
            const float *src = b->stat + m * ow + i * p->wo;
            for (int t = 0; t < p->k; t++) {
                float *dst = b->hor + m * hw + (i + t) * p->wo, g = p->taps[t];
                for (int64_t j = 0; j < p->wo; j++) dst[j] += g * src[j];
            }
        }
}

/* The horizontal pass's adjoint row by row, combined into the gradient of input `which`:
 * d = F'(D_MU) + 2 self F'(D_SQ) + other F'(D_XY), stored with out's strides. */
static void store_gradient(const ssim_plan *p, const plane_bufs *b, int which, parn_tensor *out,
                           int64_t plane)
{
    const float *self = which ? b->y : b->x, *other = which ? b->x : b->y;
    float *dst = out->data + plane / out->dims[1] * out->strides[0] +
                 plane % out->dims[1] * out->strides[1];
    int64_t hw = p->h * p->wo;
    for (int64_t r = 0; r < p->h; r++) {
        memset(b->rows, 0, (size_t)(N_MAPS * p->w) * sizeof(float));
        for (int m = 0; m < N_MAPS; m++) {
            const float *src = b->hor + m * hw + r * p->wo;
            float *row = b->rows + m * p->w;
            for (int t = 0; t < p->k; t++) {
                float g = p->taps[t];
                for (int64_t j = 0; j < p->wo; j++) row[j + t] += g * src[j];
            }
        }
        const float *dmu = b->rows, *dsq = b->rows + p->w, *dxy = b->rows + 2 * p->w;
        const float *sr = self + r * p->w, *orow = other + r * p->w;
        float *drow = dst + r * out->strides[2];
        for (int64_t c = 0; c < p->w; c++)
            drow[c * out->strides[3]] = dmu[c] + 2 * sr[c] * dsq[c] + orow[c] * dxy[c];
    }
}

/* Plane pl of x and y in this thread's buffers, with their statistics. */
static plane_bufs stats_of_plane(const ssim_plan *p, const parn_tensor *x, const parn_tensor *y,
                                 int64_t pl)
{
    plane_bufs b = bufs_of(p, omp_get_thread_num());
    load_plane(x, pl, b.x);
    load_plane(y, pl, b.y);
    filter_stats(p, &b);
    return b;
}

/* Parallel over planes only when there is enough work to pay for the threads. */
static bool worth_threads(const ssim_plan *p)
{
    return p->planes > 1 && p->planes * p->h * p->w * p->k > 65536;
}

parn_status parn_cpu_ssim(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    const parn_tensor *x = parn_src(g, n, 0), *y = parn_src(g, n, 1);
    ssim_plan p;
    PARN_TRY(prepare(n, x, omp_get_max_threads(), &p));
#pragma omp parallel for schedule(dynamic) if (worth_threads(&p))
    for (int64_t pl = 0; pl < p.planes; pl++) {
        plane_bufs b = stats_of_plane(&p, x, y, pl);
        p.sums[pl] = ssim_sum(&p, b.stat);
    }
    double total = 0;
    for (int64_t pl = 0; pl < p.planes; pl++) total += p.sums[pl];
    n->out.data[0] = (float)(total / (double)(p.planes * p.ho * p.wo));
    return PARN_OK;
}

parn_status parn_cpu_ssim_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    const parn_tensor *x = parn_src(g, n, 1), *y = parn_src(g, n, 2);
    ssim_plan p;
    PARN_TRY(prepare(n, x, omp_get_max_threads(), &p));
    double gs = parn_src(g, n, 0)->data[0] / (double)(p.planes * p.ho * p.wo);
    int which = n->attrs.loss.which;
#pragma omp parallel for schedule(dynamic) if (worth_threads(&p))
    for (int64_t pl = 0; pl < p.planes; pl++) {
        plane_bufs b = stats_of_plane(&p, x, y, pl);
        sensitivities(&p, b.stat, which, gs);
        adjoint_vertical(&p, &b);
        store_gradient(&p, &b, which, &n->out, pl);
    }
    return PARN_OK;
}
