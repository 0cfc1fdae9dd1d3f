/* SPDX-License-Identifier: MIT */
/* Binary cross-entropy on logits and its gradients in plain C (OpenMP over elements). */
#include "cpu.h"
#include "cpu_kernels.h"

#include <math.h>

/* x and target (srcs first, first + 1) in one dense layout (see parn_cpu_conform_srcs). */
static parn_status pair_like(parn_graph *g, parn_node *n, int first, const parn_tensor *layout,
                             parn_tensor *xt)
{
    PARN_RETURN_IF(!parn_cpu_scratch_state_of(n), PARN_E_NOMEM, "bce_logits: out of memory");
    return parn_cpu_conform_srcs(g, n, first, 2, layout, xt);
}

/* The overflow-free form max(x, 0) - x t + log(1 + exp(-|x|)). */
static inline double bce(double x, double t)
{
    return (x > 0 ? x : 0) - x * t + log1p(exp(-fabs(x)));
}

static inline double sigmoid(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

parn_status parn_cpu_bce_logits(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    parn_tensor xt[2];
    PARN_TRY(pair_like(g, n, 0, NULL, xt));
    const float *x = xt[0].data, *t = xt[1].data;
    int64_t total = parn_tensor_numel(&xt[0]);
    double sum = 0;
#pragma omp parallel for schedule(static) reduction(+ : sum) if (total > 16384)
    for (int64_t i = 0; i < total; i++) sum += bce(x[i], t[i]);
    n->out.data[0] = (float)(n->attrs.loss.reduction == PARN_REDUCE_MEAN ? sum / (double)total : sum);
    return PARN_OK;
}

/* d/dx = dy * scale * (sigmoid(x) - t); d/dtarget = -dy * scale * x. */
parn_status parn_cpu_bce_logits_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    parn_tensor xt[2];
    PARN_TRY(pair_like(g, n, 1, &n->out, xt));
    const float *x = xt[0].data, *t = xt[1].data;
    int64_t total = parn_tensor_numel(&xt[0]);
    double scale = parn_src(g, n, 0)->data[0];
    if (n->attrs.loss.reduction == PARN_REDUCE_MEAN) scale /= (double)total;
    float *d = n->out.data;
    if (n->attrs.loss.which == 0) {
#pragma omp parallel for schedule(static) if (total > 16384)
        for (int64_t i = 0; i < total; i++)
            d[i] = (float)(scale * (sigmoid(x[i]) - (double)t[i]));
    } else {
#pragma omp parallel for schedule(static) if (total > 32768)
        for (int64_t i = 0; i < total; i++) d[i] = (float)(-scale * (double)x[i]);
    }
    return PARN_OK;
}
