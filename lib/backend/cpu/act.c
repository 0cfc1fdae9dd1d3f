/* SPDX-License-Identifier: MIT */
/* Activations on oneDNN eltwise primitives (forward, and backward from the output). */
#include "cpu.h"
#include "cpu_kernels.h"

/* The "use dst for bwd" algorithms give the same forward values and a backward from y. */
static dnnl_alg_kind_t alg_of(parn_act_kind kind)
{
    switch (kind) {
    case PARN_ACT_RELU:
    case PARN_ACT_LEAKY_RELU: return dnnl_eltwise_relu_use_dst_for_bwd;
    case PARN_ACT_SIGMOID: return dnnl_eltwise_logistic_use_dst_for_bwd;
    case PARN_ACT_TANH: return dnnl_eltwise_tanh_use_dst_for_bwd;
    case PARN_ACT_CLIP: return dnnl_eltwise_clip_v2_use_dst_for_bwd;
    }
    return dnnl_alg_kind_undef;
}

/* oneDNN's relu takes a slope, which plain ReLU must not get. */
static float alpha_of(const parn_act_attrs *a)
{
    return a->kind == PARN_ACT_RELU ? 0.0f : a->alpha;
}

static parn_status forward_pd(parn_backend_ctx *ctx, const parn_act_attrs *a,
                              const dnnl_memory_desc_t *md, dnnl_primitive_desc_t *pd,
                              dnnl_primitive_t *prim)
{
    dnnl_eltwise_desc_t desc;
    PARN_DNNL(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_training, alg_of(a->kind), md,
                                             alpha_of(a), a->beta),
              "act");
    return parn_cpu_primitive(ctx, &desc, NULL, NULL, pd, prim);
}

parn_status parn_cpu_act(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    parn_cpu_prim_state *s = parn_cpu_prim_state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "act: out of memory");
    parn_tensor x;
    PARN_TRY(parn_cpu_conform_src(g, n, 0, &n->out, 0, &x));
    dnnl_memory_desc_t md = parn_cpu_md(&n->out);
    if (!s->prim) PARN_TRY(forward_pd(ctx, &n->attrs.act, &md, &s->fwd_pd, &s->prim));
    parn_cpu_arg args[] = {{DNNL_ARG_SRC, &md, x.data}, {DNNL_ARG_DST, &md, n->out.data}};
    return parn_cpu_execute(ctx, s->prim, 2, args);
}

parn_status parn_cpu_act_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    parn_cpu_prim_state *s = parn_cpu_prim_state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "act backward: out of memory");
    parn_tensor dy, y;
    PARN_TRY(parn_cpu_conform_src(g, n, 0, &n->out, 0, &dy));
    PARN_TRY(parn_cpu_conform_src(g, n, 1, &n->out, 1, &y));
    dnnl_memory_desc_t md = parn_cpu_md(&n->out);
    const parn_act_attrs *a = &n->attrs.act;
    if (!s->prim) {
        dnnl_primitive_t fwd_prim;
        PARN_TRY(forward_pd(ctx, a, &md, &s->fwd_pd, &fwd_prim));
        dnnl_primitive_destroy(fwd_prim);
        dnnl_eltwise_desc_t desc;
        PARN_DNNL(dnnl_eltwise_backward_desc_init(&desc, alg_of(a->kind), &md, &md, alpha_of(a),
                                                  a->beta),
                  "act backward");
        PARN_TRY(parn_cpu_primitive(ctx, &desc, NULL, s->fwd_pd, &s->bwd_pd, &s->prim));
    }
    parn_cpu_arg args[] = {{DNNL_ARG_DST, &md, y.data},
                           {DNNL_ARG_DIFF_DST, &md, dy.data},
                           {DNNL_ARG_DIFF_SRC, &md, n->out.data}};
    return parn_cpu_execute(ctx, s->prim, 3, args);
}
