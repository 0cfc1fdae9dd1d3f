/* SPDX-License-Identifier: MIT */
/* L1 and squared-error losses and their gradients in plain C (OpenMP over elements). */
#include "cpu.h"
#include "cpu_kernels.h"

#include <math.h>

/* x and target (srcs first, first + 1) in one dense layout (see parn_cpu_conform_srcs). */
static parn_status pair_like(parn_graph *g, parn_node *n, int first, const parn_tensor *layout,
                             parn_tensor *xt)
{
    PARN_RETURN_IF(!parn_cpu_scratch_state_of(n), PARN_E_NOMEM, "dist_loss: out of memory");
    return parn_cpu_conform_srcs(g, n, first, 2, layout, xt);
}

parn_status parn_cpu_dist_loss(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    parn_tensor xt[2];
    PARN_TRY(pair_like(g, n, 0, NULL, xt));
    const float *x = xt[0].data, *t = xt[1].data;
    int64_t total = parn_tensor_numel(&xt[0]);
    bool l1 = n->attrs.loss.l1;
    double sum = 0;
#pragma omp parallel for schedule(static) reduction(+ : sum) if (total > 32768)
    for (int64_t i = 0; i < total; i++) {
        double d = (double)x[i] - (double)t[i];
        sum += l1 ? fabs(d) : d * d;
    }
    n->out.data[0] = (float)(n->attrs.loss.reduction == PARN_REDUCE_MEAN ? sum / (double)total : sum);
    return PARN_OK;
}

/* d/dx = dy * scale * sign(x - t) (L1) or 2 (x - t) (L2); d/dtarget is its negation. */
parn_status parn_cpu_dist_loss_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    parn_tensor xt[2];
    PARN_TRY(pair_like(g, n, 1, &n->out, xt));
    const float *x = xt[0].data, *t = xt[1].data;
    const parn_loss_attrs *a = &n->attrs.loss;
    int64_t total = parn_tensor_numel(&xt[0]);
    double scale = parn_src(g, n, 0)->data[0] * (a->which ? -1.0 : 1.0) * (a->l1 ? 1.0 : 2.0);
    if (a->reduction == PARN_REDUCE_MEAN) scale /= (double)total;
    float *dx = n->out.data;
    bool l1 = a->l1;
#pragma omp parallel for schedule(static) if (total > 32768)
    for (int64_t i = 0; i < total; i++) {
        double d = (double)x[i] - (double)t[i];
        dx[i] = (float)(scale * (l1 ? (double)((d > 0) - (d < 0)) : d));
    }
    return PARN_OK;
}
