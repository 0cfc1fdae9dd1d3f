/* SPDX-License-Identifier: MIT */
/* Pooling on oneDNN: forward (with a max-pooling workspace when training) and backward, which
 * reuses the forward node's primitive descriptor and workspace. */
#include "cpu.h"
#include "cpu_kernels.h"

typedef struct pool_state {
    parn_cpu_state base;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    dnnl_memory_desc_t ws_md;      /* forward only: the max-pooling workspace, when training */
    bool has_ws;
    parn_cpu_scratch ws, in;       /* workspace; an input re-laid for oneDNN */
} pool_state;

static void pool_state_destroy(parn_cpu_state *st)
{
    pool_state *s = (pool_state *)st;
    if (s->prim) dnnl_primitive_destroy(s->prim);
    if (s->pd) dnnl_primitive_desc_destroy(s->pd);
    parn_cpu_scratch_free(&s->ws);
    parn_cpu_scratch_free(&s->in);
    parn__free(s);
}

static pool_state *state_of(parn_node *n)
{
    if (!n->backend_state) n->backend_state = parn_cpu_state_new(sizeof(pool_state), pool_state_destroy);
    return n->backend_state;
}

/* True when t has exactly the channels-last strides (also for size-1 dims). */
static bool is_channels_last(const parn_tensor *t)
{
    parn_tensor cl = *t;
    parn_tensor_set_channels_last(&cl);
    for (int i = 0; i < t->ndim; i++)
        if (cl.strides[i] != t->strides[i]) return false;
    return true;
}

/* x's dims in the storage order of ref, so that oneDNN sees src and dst in one format. */
static parn_tensor layout_like(const parn_tensor *x, const parn_tensor *ref)
{
    parn_tensor t = *x;
    if (is_channels_last(ref))
        parn_tensor_set_channels_last(&t);
    else
        parn_tensor_set_plain(&t);
    return t;
}

/* parn_cpu_conform, then layout's exact strides: they may differ along size-1 dims, where they
 * do not move any element but would make oneDNN see two formats. */
static parn_status conform_exact(const parn_tensor *src, const parn_tensor *layout,
                                 parn_cpu_scratch *scratch, parn_tensor *out)
{
    PARN_TRY(parn_cpu_conform(src, layout, scratch, out));
    for (int i = 0; i < out->ndim; i++) out->strides[i] = layout->strides[i];
    return PARN_OK;
}

static dnnl_alg_kind_t alg_of(const parn_pool_attrs *a)
{
    if (a->max) return dnnl_pooling_max;
    return a->count_include_pad ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding;
}

typedef struct pool_geometry {
    dnnl_dims_t strides, kernel, pad_lo, pad_hi;
} pool_geometry;

static pool_geometry geometry_of(const parn_pool_attrs *a)
{
    pool_geometry p;
    for (int i = 0; i < a->rank; i++) {
        p.strides[i] = a->stride[i];
        p.kernel[i] = a->kernel[i];
        p.pad_lo[i] = a->pad_lo[i];
        p.pad_hi[i] = a->pad_hi[i];
    }
    return p;
}

static parn_status create_forward(parn_backend_ctx *ctx, const parn_node *n, pool_state *s,
                                  const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst)
{
    const parn_pool_attrs *a = &n->attrs.pool;
    pool_geometry p = geometry_of(a);
    /* Training keeps the argmax workspace that the backward pass needs. */
    dnnl_prop_kind_t prop = n->requires_grad ? dnnl_forward_training : dnnl_forward_inference;
    dnnl_pooling_desc_t desc;
    PARN_DNNL(dnnl_pooling_forward_desc_init(&desc, prop, alg_of(a), src, dst, p.strides, p.kernel,
                                             p.pad_lo, p.pad_hi),
              "pool");
    PARN_TRY(parn_cpu_primitive(ctx, &desc, NULL, NULL, &s->pd, &s->prim));
    const dnnl_memory_desc_t *ws = dnnl_primitive_desc_query_md(s->pd, dnnl_query_workspace_md, 0);
    size_t bytes = ws ? dnnl_memory_desc_get_size(ws) : 0;
    if (bytes == 0) return PARN_OK;
    s->ws_md = *ws;
    s->has_ws = true;
    return parn_cpu_scratch_reserve(&s->ws, bytes);
}

parn_status parn_cpu_pool(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    pool_state *s = state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "pool: out of memory");
    const parn_tensor *x = parn_src(g, n, 0);
    parn_tensor layout = layout_like(x, &n->out), xc;
    PARN_TRY(conform_exact(x, &layout, &s->in, &xc));
    dnnl_memory_desc_t src = parn_cpu_md(&xc), dst = parn_cpu_md(&n->out);
    if (!s->prim) PARN_TRY(create_forward(ctx, n, s, &src, &dst));
    parn_cpu_arg args[] = {{DNNL_ARG_SRC, &src, xc.data},
                           {DNNL_ARG_DST, &dst, n->out.data},
                           {DNNL_ARG_WORKSPACE, &s->ws_md, s->ws.data}};
    return parn_cpu_execute(ctx, s->prim, s->has_ws ? 3 : 2, args);
}

parn_status parn_cpu_pool_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    pool_state *s = state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "pool backward: out of memory");
    const parn_node *fwd = parn_src_node(g, n, 2);
    const pool_state *fs = fwd->backend_state;
    const parn_pool_attrs *a = &n->attrs.pool;
    PARN_RETURN_IF(!fs || !fs->pd, PARN_E_STATE, "pool backward: the forward pool has not run");
    PARN_RETURN_IF(a->max && !fs->has_ws, PARN_E_STATE,
                   "pool backward: the forward max pool kept no workspace (it needs a gradient)");
    parn_tensor dy;
    PARN_TRY(conform_exact(parn_src(g, n, 0), &fwd->out, &s->in, &dy));
    dnnl_memory_desc_t diff_dst = parn_cpu_md(&dy), diff_src = parn_cpu_md(&n->out);
    if (!s->prim) {
        pool_geometry p = geometry_of(a);
        dnnl_pooling_desc_t desc;
        PARN_DNNL(dnnl_pooling_backward_desc_init(&desc, alg_of(a), &diff_src, &diff_dst, p.strides,
                                                  p.kernel, p.pad_lo, p.pad_hi),
                  "pool backward");
        PARN_TRY(parn_cpu_primitive(ctx, &desc, NULL, fs->pd, &s->pd, &s->prim));
    }
    parn_cpu_arg args[] = {{DNNL_ARG_DIFF_DST, &diff_dst, dy.data},
                           {DNNL_ARG_DIFF_SRC, &diff_src, n->out.data},
                           {DNNL_ARG_WORKSPACE, &fs->ws_md, fs->ws.data}};
    return parn_cpu_execute(ctx, s->prim, a->max ? 3 : 2, args);
}
