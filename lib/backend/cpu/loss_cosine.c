/* SPDX-License-Identifier: MIT */
/* Per-row cosine similarity and its gradients in plain C (OpenMP over rows). */
#include "cpu.h"
#include "cpu_kernels.h"

#include <math.h>

/* One row's norms clamped to eps as PyTorch 1.13 does, and the cosine. */
typedef struct row_stats {
    double na, nb, cos;
} row_stats;

static row_stats row_of(const parn_tensor *a, const parn_tensor *b, int64_t i, double eps)
{
    const float *pa = a->data + i * a->strides[0], *pb = b->data + i * b->strides[0];
    double dot = 0, aa = 0, bb = 0;
    for (int64_t j = 0; j < a->dims[1]; j++) {
        double va = pa[j * a->strides[1]], vb = pb[j * b->strides[1]];
        dot += va * vb;
        aa += va * va;
        bb += vb * vb;
    }
    row_stats r = {fmax(sqrt(aa), eps), fmax(sqrt(bb), eps), 0};
    r.cos = dot / (r.na * r.nb);
    return r;
}

parn_status parn_cpu_cosine(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    const parn_tensor *a = parn_src(g, n, 0), *b = parn_src(g, n, 1);
    int64_t rows = a->dims[0];
    double eps = n->attrs.loss.eps;
#pragma omp parallel for schedule(static) if (rows * a->dims[1] > 32768)
    for (int64_t i = 0; i < rows; i++)
        n->out.data[i * n->out.strides[0]] = (float)row_of(a, b, i, eps).cos;
    return PARN_OK;
}

/* d cos / d self = other / (|self| |other|) - cos * self / |self|^2, with the clamped norms
 * (PyTorch 1.13's gradient, which equals the derivative wherever no norm is clamped). */
parn_status parn_cpu_cosine_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    const parn_tensor *dy = parn_src(g, n, 0), *a = parn_src(g, n, 1), *b = parn_src(g, n, 2);
    bool is_a = n->attrs.loss.which == 0;
    const parn_tensor *self = is_a ? a : b, *other = is_a ? b : a;
    parn_tensor *d = &n->out;
    int64_t rows = a->dims[0], cols = a->dims[1];
    double eps = n->attrs.loss.eps;
#pragma omp parallel for schedule(static) if (rows * cols > 16384)
    for (int64_t i = 0; i < rows; i++) {
        row_stats r = row_of(a, b, i, eps);
        double nself = is_a ? r.na : r.nb, g_row = dy->data[i * dy->strides[0]];
        double k_other = g_row / (r.na * r.nb), k_self = -g_row * r.cos / (nself * nself);
        const float *ps = self->data + i * self->strides[0], *po = other->data + i * other->strides[0];
        float *pd = d->data + i * d->strides[0];
        for (int64_t j = 0; j < cols; j++)
            pd[j * d->strides[1]] =
                (float)(k_other * po[j * other->strides[1]] + k_self * ps[j * self->strides[1]]);
    }
    return PARN_OK;
}
