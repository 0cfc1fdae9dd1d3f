/* SPDX-License-Identifier: MIT */
/* Batch normalisation on oneDNN primitives (use_scale / use_shift; use_global_stats for
 * inference), plus the running-statistics update of training mode, in place in the leaves. */
#include "cpu.h"
#include "cpu_kernels.h"

#include <string.h>

static unsigned flags_of(const parn_batch_norm_attrs *a)
{
    return dnnl_use_scale | dnnl_use_shift | (a->training ? 0u : (unsigned)dnnl_use_global_stats);
}

static parn_status forward_desc(const parn_batch_norm_attrs *a, dnnl_prop_kind_t prop,
                                const dnnl_memory_desc_t *md, dnnl_batch_normalization_desc_t *desc)
{
    PARN_DNNL(dnnl_batch_normalization_forward_desc_init(desc, prop, md, a->eps, flags_of(a)),
              "batch_norm");
    return PARN_OK;
}

/* PyTorch's update: running = (1 - m) running + m batch, with the unbiased batch variance.
 * The leaves change outside of what the graph computes, so their versions move on. */
static void update_running_stats(parn_graph *g, parn_node *n)
{
    parn_tensor *rm = &parn_graph_node(g, n->src[3])->out, *rv = &parn_graph_node(g, n->src[4])->out;
    const float *mean = n->side[0].data, *var = n->side[1].data;
    int64_t c = n->out.dims[1], count = parn_tensor_numel(&n->out) / c;
    double m = n->attrs.bn.momentum, unbias = (double)count / (double)(count - 1);
    for (int64_t i = 0; i < c; i++) {
        rm->data[i] = (float)((1.0 - m) * rm->data[i] + m * mean[i]);
        rv->data[i] = (float)((1.0 - m) * rv->data[i] + m * unbias * var[i]);
    }
    rm->version++;
    rv->version++;
}

parn_status parn_cpu_batch_norm(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    parn_cpu_prim_state *s = parn_cpu_prim_state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "batch_norm: out of memory");
    const parn_batch_norm_attrs *a = &n->attrs.bn;
    parn_tensor x;
    PARN_TRY(parn_cpu_conform_src(g, n, 0, &n->out, 0, &x));
    dnnl_memory_desc_t md = parn_cpu_md(&n->out), cmd = parn_cpu_md(&n->side[0]);
    if (!s->prim) {
        dnnl_batch_normalization_desc_t desc;
        dnnl_prop_kind_t prop = a->training ? dnnl_forward_training : dnnl_forward_inference;
        PARN_TRY(forward_desc(a, prop, &md, &desc));
        PARN_TRY(parn_cpu_primitive(ctx, &desc, NULL, NULL, &s->fwd_pd, &s->prim));
    }
    size_t stat_bytes = (size_t)n->side[0].dims[0] * sizeof(float);
    if (!a->training) {
        /* the statistics used are the side outputs in both modes (the backward op reads them) */
        memcpy(n->side[0].data, parn_src(g, n, 3)->data, stat_bytes);
        memcpy(n->side[1].data, parn_src(g, n, 4)->data, stat_bytes);
    }
    parn_cpu_arg args[] = {{DNNL_ARG_SRC, &md, x.data},
                           {DNNL_ARG_DST, &md, n->out.data},
                           {DNNL_ARG_SCALE, &cmd, parn_src(g, n, 1)->data},
                           {DNNL_ARG_SHIFT, &cmd, parn_src(g, n, 2)->data},
                           {DNNL_ARG_MEAN, &cmd, n->side[0].data},
                           {DNNL_ARG_VARIANCE, &cmd, n->side[1].data}};
    PARN_TRY(parn_cpu_execute(ctx, s->prim, 6, args));
    if (a->training) update_running_stats(g, n);
    return PARN_OK;
}

parn_status parn_cpu_batch_norm_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    parn_cpu_prim_state *s = parn_cpu_prim_state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "batch_norm backward: out of memory");
    const parn_batch_norm_attrs *a = &n->attrs.bn;
    const parn_node *fwd = parn_src_node(g, n, 3);
    parn_tensor dy, x;
    PARN_TRY(parn_cpu_conform_src(g, n, 0, &n->out, 0, &dy));
    PARN_TRY(parn_cpu_conform_src(g, n, 1, &n->out, 1, &x));
    dnnl_memory_desc_t md = parn_cpu_md(&n->out), cmd = parn_cpu_md(&n->side[0]);
    if (!s->prim) {
        dnnl_batch_normalization_desc_t desc;
        PARN_TRY(forward_desc(a, dnnl_forward_training, &md, &desc));
        if (!s->fwd_pd)
            PARN_DNNL(dnnl_primitive_desc_create(&s->fwd_pd, &desc, NULL, ctx->engine, NULL),
                      "batch_norm");
        PARN_DNNL(dnnl_batch_normalization_backward_desc_init(&desc, dnnl_backward, &md, &md, a->eps,
                                                              flags_of(a)),
                  "batch_norm backward");
        PARN_TRY(parn_cpu_primitive(ctx, &desc, NULL, s->fwd_pd, &s->bwd_pd, &s->prim));
    }
    parn_cpu_arg args[] = {{DNNL_ARG_SRC, &md, x.data},
                           {DNNL_ARG_MEAN, &cmd, fwd->side[0].data},
                           {DNNL_ARG_VARIANCE, &cmd, fwd->side[1].data},
                           {DNNL_ARG_SCALE, &cmd, parn_src(g, n, 2)->data},
                           /* oneDNN 2.6 wants the shift too although dx does not depend on it */
                           {DNNL_ARG_SHIFT, &cmd, parn_src(g, fwd, 2)->data},
                           {DNNL_ARG_DIFF_DST, &md, dy.data},
                           {DNNL_ARG_DIFF_SRC, &md, n->out.data},
                           {DNNL_ARG_DIFF_SCALE, &cmd, n->side[0].data},
                           {DNNL_ARG_DIFF_SHIFT, &cmd, n->side[1].data}};
    return parn_cpu_execute(ctx, s->prim, 9, args);
}
