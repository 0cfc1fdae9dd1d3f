/* SPDX-License-Identifier: MIT */
/* Fully connected layers on oneDNN inner product primitives. The forward and backward-data
 * primitives let oneDNN choose the weights' format and keep a reordered copy of the weights,
 * refreshed when the weights tensor's data pointer or version changes. */
#include "cpu.h"
#include "cpu_kernels.h"

/* The weights in the format a primitive wants (a copy unless that is the plain format). */
typedef struct weight_cache {
    dnnl_memory_desc_t md;         /* the primitive's format */
    bool reorder;                  /* md differs from the plain weights */
    dnnl_primitive_desc_t reorder_pd;
    dnnl_primitive_t reorder_prim;
    parn_cpu_scratch copy;
    const float *src;              /* what the copy was made from, when valid */
    uint64_t version;
    bool valid;
} weight_cache;

typedef struct linear_state {
    parn_cpu_state base;
    dnnl_primitive_desc_t pd, fwd_pd; /* fwd_pd: the backward primitives' hint */
    dnnl_primitive_t prim;
    weight_cache w;
} linear_state;

static void weight_cache_release(weight_cache *c)
{
    if (c->reorder_prim) dnnl_primitive_destroy(c->reorder_prim);
    if (c->reorder_pd) dnnl_primitive_desc_destroy(c->reorder_pd);
    c->reorder_prim = NULL;
    c->reorder_pd = NULL;
    c->valid = false;
}

static void linear_state_destroy(parn_cpu_state *st)
{
    linear_state *s = (linear_state *)st;
    if (s->prim) dnnl_primitive_destroy(s->prim);
    if (s->pd) dnnl_primitive_desc_destroy(s->pd);
    if (s->fwd_pd) dnnl_primitive_desc_destroy(s->fwd_pd);
    weight_cache_release(&s->w);
    parn_cpu_scratch_free(&s->w.copy);
    parn__free(s);
}

static linear_state *state_of(parn_node *n)
{
    if (!n->backend_state)
        n->backend_state = parn_cpu_state_new(sizeof(linear_state), linear_state_destroy);
    return n->backend_state;
}

/* A 2-D f32 descriptor in the format oneDNN prefers. */
static dnnl_memory_desc_t any_md(const parn_tensor *t)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t dims = {t->dims[0], t->dims[1]};
    dnnl_memory_desc_init_by_tag(&md, 2, dims, dnnl_f32, dnnl_format_tag_any);
    return md;
}

/* Records the weights format chosen by pd; a reorder primitive when it is not w's own. */
static parn_status weight_cache_init(parn_backend_ctx *ctx, weight_cache *c,
                                     const_dnnl_primitive_desc_t pd, const parn_tensor *w)
{
    weight_cache_release(c); /* from an earlier attempt that failed */
    c->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_memory_desc_t plain = parn_cpu_md(w);
    c->reorder = !dnnl_memory_desc_equal(&c->md, &plain);
    if (!c->reorder) return PARN_OK;
    PARN_DNNL(dnnl_reorder_primitive_desc_create(&c->reorder_pd, &plain, ctx->engine, &c->md,
                                                 ctx->engine, NULL),
              "linear weights reorder");
    PARN_DNNL(dnnl_primitive_create(&c->reorder_prim, c->reorder_pd), "linear weights reorder");
    return parn_cpu_scratch_reserve(&c->copy, dnnl_memory_desc_get_size(&c->md));
}

/* The weights for the primitive: w itself, or the cached copy, reordered again when w is not a
 * leaf (its contents change every run) or when the leaf's pointer or version changed. */
static parn_status weights_of(parn_backend_ctx *ctx, weight_cache *c, const parn_node *wnode,
                              void **out)
{
    const parn_tensor *w = &wnode->out;
    *out = w->data;
    if (!c->reorder) return PARN_OK;
    *out = c->copy.data;
    bool leaf = wnode->op == PARN_OP_INPUT || wnode->op == PARN_OP_PARAM;
    if (leaf && c->valid && c->src == w->data && c->version == w->version) return PARN_OK;
    dnnl_memory_desc_t plain = parn_cpu_md(w);
    parn_cpu_arg args[] = {{DNNL_ARG_FROM, &plain, w->data}, {DNNL_ARG_TO, &c->md, c->copy.data}};
    c->valid = false;
    PARN_TRY(parn_cpu_execute(ctx, c->reorder_prim, 2, args));
    c->src = w->data;
    c->version = w->version;
    c->valid = true;
    return PARN_OK;
}

/* The forward primitive descriptor for x (src), weights, optional bias and y (dst). */
static parn_status forward_pd(parn_backend_ctx *ctx, dnnl_prop_kind_t prop,
                              const dnnl_memory_desc_t *x, const dnnl_memory_desc_t *w,
                              const dnnl_memory_desc_t *b, const dnnl_memory_desc_t *y,
                              dnnl_primitive_desc_t *pd)
{
    dnnl_inner_product_desc_t desc;
    PARN_DNNL(dnnl_inner_product_forward_desc_init(&desc, prop, x, w, b, y), "linear");
    PARN_DNNL(dnnl_primitive_desc_create(pd, &desc, NULL, ctx->engine, NULL), "linear");
    return PARN_OK;
}

/* Takes pd: makes the primitive (and the weights cache for w unless NULL) or destroys pd. */
static parn_status adopt_pd(parn_backend_ctx *ctx, linear_state *s, dnnl_primitive_desc_t pd,
                            const parn_tensor *w)
{
    parn_status st = w ? weight_cache_init(ctx, &s->w, pd, w) : PARN_OK;
    if (st == PARN_OK) st = parn_cpu_check(dnnl_primitive_create(&s->prim, pd), "linear primitive");
    if (st != PARN_OK) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    s->pd = pd;
    return PARN_OK;
}

parn_status parn_cpu_linear(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    linear_state *s = state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "linear: out of memory");
    const parn_tensor *x = parn_src(g, n, 0), *w = parn_src(g, n, 1);
    bool has_bias = n->attrs.linear.has_bias;
    const parn_tensor *b = has_bias ? parn_src(g, n, 2) : NULL;
    dnnl_memory_desc_t xmd = parn_cpu_md(x), ymd = parn_cpu_md(&n->out);
    dnnl_memory_desc_t bmd = has_bias ? parn_cpu_md(b) : (dnnl_memory_desc_t){0};
    if (!s->prim) {
        dnnl_memory_desc_t wmd = any_md(w);
        dnnl_prop_kind_t prop = n->requires_grad ? dnnl_forward_training : dnnl_forward_inference;
        dnnl_primitive_desc_t pd;
        PARN_TRY(forward_pd(ctx, prop, &xmd, &wmd, has_bias ? &bmd : NULL, &ymd, &pd));
        PARN_TRY(adopt_pd(ctx, s, pd, w));
    }
    void *wdata;
    PARN_TRY(weights_of(ctx, &s->w, parn_src_node(g, n, 1), &wdata));
    parn_cpu_arg args[] = {{DNNL_ARG_SRC, &xmd, x->data},
                           {DNNL_ARG_WEIGHTS, &s->w.md, wdata},
                           {DNNL_ARG_DST, &ymd, n->out.data},
                           {DNNL_ARG_BIAS, &bmd, has_bias ? b->data : NULL}};
    return parn_cpu_execute(ctx, s->prim, has_bias ? 4 : 3, args);
}

parn_status parn_cpu_linear_bwd_data(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    linear_state *s = state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "linear backward data: out of memory");
    const parn_tensor *dy = parn_src(g, n, 0), *w = parn_src(g, n, 1);
    dnnl_memory_desc_t dymd = parn_cpu_md(dy), dxmd = parn_cpu_md(&n->out);
    if (!s->prim) {
        dnnl_memory_desc_t wmd = any_md(w);
        if (!s->fwd_pd)
            PARN_TRY(forward_pd(ctx, dnnl_forward_training, &dxmd, &wmd, NULL, &dymd, &s->fwd_pd));
        dnnl_inner_product_desc_t desc;
        PARN_DNNL(dnnl_inner_product_backward_data_desc_init(&desc, &dxmd, &wmd, &dymd),
                  "linear backward data");
        dnnl_primitive_desc_t pd;
        PARN_DNNL(dnnl_primitive_desc_create(&pd, &desc, NULL, ctx->engine, s->fwd_pd),
                  "linear backward data");
        PARN_TRY(adopt_pd(ctx, s, pd, w));
    }
    void *wdata;
    PARN_TRY(weights_of(ctx, &s->w, parn_src_node(g, n, 1), &wdata));
    parn_cpu_arg args[] = {{DNNL_ARG_DIFF_DST, &dymd, dy->data},
                           {DNNL_ARG_WEIGHTS, &s->w.md, wdata},
                           {DNNL_ARG_DIFF_SRC, &dxmd, n->out.data}};
    return parn_cpu_execute(ctx, s->prim, 3, args);
}

parn_status parn_cpu_linear_bwd_weights(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    linear_state *s = state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "linear backward weights: out of memory");
    const parn_tensor *dy = parn_src(g, n, 0), *x = parn_src(g, n, 1);
    bool has_bias = n->n_side > 0;
    dnnl_memory_desc_t dymd = parn_cpu_md(dy), xmd = parn_cpu_md(x), dwmd = parn_cpu_md(&n->out);
    dnnl_memory_desc_t dbmd = has_bias ? parn_cpu_md(&n->side[0]) : (dnnl_memory_desc_t){0};
    const dnnl_memory_desc_t *db = has_bias ? &dbmd : NULL;
    if (!s->prim) {
        if (!s->fwd_pd)
            PARN_TRY(forward_pd(ctx, dnnl_forward_training, &xmd, &dwmd, db, &dymd, &s->fwd_pd));
        dnnl_inner_product_desc_t desc;
        PARN_DNNL(dnnl_inner_product_backward_weights_desc_init(&desc, &xmd, &dwmd, db, &dymd),
                  "linear backward weights");
        dnnl_primitive_desc_t pd;
        PARN_DNNL(dnnl_primitive_desc_create(&pd, &desc, NULL, ctx->engine, s->fwd_pd),
                  "linear backward weights");
        PARN_TRY(adopt_pd(ctx, s, pd, NULL));
    }
    parn_cpu_arg args[] = {{DNNL_ARG_SRC, &xmd, x->data},
                           {DNNL_ARG_DIFF_DST, &dymd, dy->data},
                           {DNNL_ARG_DIFF_WEIGHTS, &dwmd, n->out.data},
                           {DNNL_ARG_DIFF_BIAS, &dbmd, has_bias ? n->side[0].data : NULL}};
    return parn_cpu_execute(ctx, s->prim, has_bias ? 4 : 3, args);
}
