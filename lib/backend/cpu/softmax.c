/* SPDX-License-Identifier: MIT */
/* Softmax and log-softmax on oneDNN softmax v2 primitives (forward, and backward from y). The
 * inputs are re-laid like the output, so oneDNN sees one format and the axis stays logical. */
#include "cpu.h"
#include "cpu_kernels.h"

static dnnl_alg_kind_t alg_of(const parn_softmax_attrs *a)
{
    return a->log ? dnnl_softmax_log : dnnl_softmax_accurate;
}

static parn_status forward_desc(const parn_softmax_attrs *a, const dnnl_memory_desc_t *md,
                                dnnl_softmax_v2_desc_t *desc)
{
    PARN_DNNL(dnnl_softmax_v2_forward_desc_init(desc, dnnl_forward_training, alg_of(a), md, md, a->axis),
              "softmax");
    return PARN_OK;
}

parn_status parn_cpu_softmax(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    parn_cpu_prim_state *s = parn_cpu_prim_state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "softmax: out of memory");
    parn_tensor x;
    PARN_TRY(parn_cpu_conform_src(g, n, 0, &n->out, 0, &x));
    dnnl_memory_desc_t md = parn_cpu_md(&n->out);
    if (!s->prim) {
        dnnl_softmax_v2_desc_t desc;
        PARN_TRY(forward_desc(&n->attrs.softmax, &md, &desc));
        PARN_TRY(parn_cpu_primitive(ctx, &desc, NULL, NULL, &s->fwd_pd, &s->prim));
    }
    parn_cpu_arg args[] = {{DNNL_ARG_SRC, &md, x.data}, {DNNL_ARG_DST, &md, n->out.data}};
    return parn_cpu_execute(ctx, s->prim, 2, args);
}

parn_status parn_cpu_softmax_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    parn_cpu_prim_state *s = parn_cpu_prim_state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "softmax backward: out of memory");
    parn_tensor dy, y;
    PARN_TRY(parn_cpu_conform_src(g, n, 0, &n->out, 0, &dy));
    PARN_TRY(parn_cpu_conform_src(g, n, 1, &n->out, 1, &y));
    dnnl_memory_desc_t md = parn_cpu_md(&n->out);
    const parn_softmax_attrs *a = &n->attrs.softmax;
    if (!s->prim) {
        /* the backward primitive needs the forward one's descriptor as a hint */
        dnnl_softmax_v2_desc_t desc;
        PARN_TRY(forward_desc(a, &md, &desc));
        if (!s->fwd_pd)
            PARN_DNNL(dnnl_primitive_desc_create(&s->fwd_pd, &desc, NULL, ctx->engine, NULL), "softmax");
        PARN_DNNL(dnnl_softmax_v2_backward_desc_init(&desc, alg_of(a), &md, &md, &md, a->axis),
                  "softmax backward");
        PARN_TRY(parn_cpu_primitive(ctx, &desc, NULL, s->fwd_pd, &s->bwd_pd, &s->prim));
    }
    parn_cpu_arg args[] = {{DNNL_ARG_DST, &md, y.data},
                           {DNNL_ARG_DIFF_DST, &md, dy.data},
                           {DNNL_ARG_DIFF_SRC, &md, n->out.data}};
    return parn_cpu_execute(ctx, s->prim, 3, args);
}
