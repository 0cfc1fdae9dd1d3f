/* SPDX-License-Identifier: MIT */
/* Binary cross-entropy on logits and its gradients in plain C (OpenMP over elements). */
#include "cpu.h"
#include "cpu_kernels.h"

#include <math.h>

typedef struct bce_state {
    parn_cpu_state base;
    parn_cpu_scratch scratch[2];
} bce_state;

static void bce_state_destroy(parn_cpu_state *s)
{
    bce_state *b = (bce_state *)s;
    parn_cpu_scratch_free(&b->scratch[0]);
    parn_cpu_scratch_free(&b->scratch[1]);
    parn__free(b);
}

/* x and target (srcs first, first + 1) laid out like `layout` (dense), so that one flat index
 * walks both; layout NULL means x's own layout when dense, else plain. */
static parn_status pair_like(parn_graph *g, parn_node *n, int first, const parn_tensor *layout,
                             parn_tensor *x, parn_tensor *t)
{
    if (!n->backend_state)
        n->backend_state = parn_cpu_state_new(sizeof(bce_state), bce_state_destroy);
    bce_state *s = n->backend_state;
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "bce_logits: out of memory");
    const parn_tensor *sx = parn_src(g, n, first);
    parn_tensor plain = *sx;
    if (!layout) {
        parn_tensor_set_plain(&plain);
        layout = parn_tensor_is_dense(sx) ? sx : &plain;
    }
    PARN_TRY(parn_cpu_conform(sx, layout, &s->scratch[0], x));
    return parn_cpu_conform(parn_src(g, n, first + 1), layout, &s->scratch[1], t);
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
    parn_tensor x, t;
    PARN_TRY(pair_like(g, n, 0, NULL, &x, &t));
    int64_t total = parn_tensor_numel(&x);
    double sum = 0;
#pragma omp parallel for schedule(static) reduction(+ : sum) if (total > 16384)
    for (int64_t i = 0; i < total; i++) sum += bce(x.data[i], t.data[i]);
    n->out.data[0] = (float)(n->attrs.loss.reduction == PARN_REDUCE_MEAN ? sum / (double)total : sum);
    return PARN_OK;
}

/* d/dx = dy * scale * (sigmoid(x) - t); d/dtarget = -dy * scale * x. */
parn_status parn_cpu_bce_logits_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    parn_tensor x, t;
    PARN_TRY(pair_like(g, n, 1, &n->out, &x, &t));
    int64_t total = parn_tensor_numel(&x);
    double scale = parn_src(g, n, 0)->data[0];
    if (n->attrs.loss.reduction == PARN_REDUCE_MEAN) scale /= (double)total;
    float *d = n->out.data;
    if (n->attrs.loss.which == 0) {
#pragma omp parallel for schedule(static) if (total > 16384)
        for (int64_t i = 0; i < total; i++)
            d[i] = (float)(scale * (sigmoid(x.data[i]) - (double)t.data[i]));
    } else {
#pragma omp parallel for schedule(static) if (total > 32768)
        for (int64_t i = 0; i < total; i++) d[i] = (float)(-scale * (double)x.data[i]);
    }
    return PARN_OK;
}
