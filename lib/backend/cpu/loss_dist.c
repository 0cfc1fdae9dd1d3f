/* SPDX-License-Identifier: MIT */
/* L1 and squared-error losses and their gradients in plain C (OpenMP over elements). */
#include "cpu.h"
#include "cpu_kernels.h"

#include <math.h>

typedef struct dist_state {
    parn_cpu_state base;
    parn_cpu_scratch scratch[2];
} dist_state;

static void dist_state_destroy(parn_cpu_state *s)
{
    dist_state *d = (dist_state *)s;
    parn_cpu_scratch_free(&d->scratch[0]);
    parn_cpu_scratch_free(&d->scratch[1]);
    parn__free(d);
}

/* x and target (srcs first, first + 1) laid out like `layout` (dense), so that one flat index
 * walks both; layout NULL means x's own layout when dense, else plain. */
static parn_status pair_like(parn_graph *g, parn_node *n, int first, const parn_tensor *layout,
                             parn_tensor *x, parn_tensor *t)
{
    if (!n->backend_state)
        n->backend_state = parn_cpu_state_new(sizeof(dist_state), dist_state_destroy);
    dist_state *s = n->backend_state;
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "dist_loss: out of memory");
    const parn_tensor *sx = parn_src(g, n, first);
    parn_tensor plain = *sx;
    if (!layout) {
        parn_tensor_set_plain(&plain);
        layout = parn_tensor_is_dense(sx) ? sx : &plain;
    }
    PARN_TRY(parn_cpu_conform(sx, layout, &s->scratch[0], x));
    return parn_cpu_conform(parn_src(g, n, first + 1), layout, &s->scratch[1], t);
}

parn_status parn_cpu_dist_loss(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    parn_tensor x, t;
    PARN_TRY(pair_like(g, n, 0, NULL, &x, &t));
    int64_t total = parn_tensor_numel(&x);
    bool l1 = n->attrs.loss.l1;
    double sum = 0;
#pragma omp parallel for schedule(static) reduction(+ : sum) if (total > 32768)
    for (int64_t i = 0; i < total; i++) {
        double d = (double)x.data[i] - (double)t.data[i];
        sum += l1 ? fabs(d) : d * d;
    }
    n->out.data[0] = (float)(n->attrs.loss.reduction == PARN_REDUCE_MEAN ? sum / (double)total : sum);
    return PARN_OK;
}

/* d/dx = dy * scale * sign(x - t) (L1) or 2 (x - t) (L2); d/dtarget is its negation. */
parn_status parn_cpu_dist_loss_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    parn_tensor x, t;
    PARN_TRY(pair_like(g, n, 1, &n->out, &x, &t));
    const parn_loss_attrs *a = &n->attrs.loss;
    int64_t total = parn_tensor_numel(&x);
    double scale = parn_src(g, n, 0)->data[0] * (a->which ? -1.0 : 1.0) * (a->l1 ? 1.0 : 2.0);
    if (a->reduction == PARN_REDUCE_MEAN) scale /= (double)total;
    float *dx = n->out.data;
    bool l1 = a->l1;
#pragma omp parallel for schedule(static) if (total > 32768)
    for (int64_t i = 0; i < total; i++) {
        double d = (double)x.data[i] - (double)t.data[i];
        dx[i] = (float)(scale * (l1 ? (double)((d > 0) - (d < 0)) : d));
    }
    return PARN_OK;
}
