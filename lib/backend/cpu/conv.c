/* SPDX-License-Identifier: MIT */
/* Convolution and transposed convolution on oneDNN (forward, backward data, backward
 * weights); deconv.c forwards its kernels here. Activations run channels-last and weights in
 * the layout oneDNN prefers, reordered once and cached while the weight tensor is unchanged. */
#include "cpu.h"
#include "cpu_kernels.h"

typedef enum conv_pass { PASS_FWD, PASS_BWD_DATA, PASS_BWD_WEIGHTS } conv_pass;

/* oneDNN's descriptor initialisers for one direction (convolution or deconvolution). */
typedef struct conv_api {
    dnnl_alg_kind_t alg;
    dnnl_status_t (*fwd)(dnnl_convolution_desc_t *, dnnl_prop_kind_t, dnnl_alg_kind_t,
                         const dnnl_memory_desc_t *, const dnnl_memory_desc_t *,
                         const dnnl_memory_desc_t *, const dnnl_memory_desc_t *, const dnnl_dims_t,
                         const dnnl_dims_t, const dnnl_dims_t, const dnnl_dims_t);
    dnnl_status_t (*bwd_data)(dnnl_convolution_desc_t *, dnnl_alg_kind_t,
                              const dnnl_memory_desc_t *, const dnnl_memory_desc_t *,
                              const dnnl_memory_desc_t *, const dnnl_dims_t, const dnnl_dims_t,
                              const dnnl_dims_t, const dnnl_dims_t);
    dnnl_status_t (*bwd_weights)(dnnl_convolution_desc_t *, dnnl_alg_kind_t,
                                 const dnnl_memory_desc_t *, const dnnl_memory_desc_t *,
                                 const dnnl_memory_desc_t *, const dnnl_memory_desc_t *,
                                 const dnnl_dims_t, const dnnl_dims_t, const dnnl_dims_t,
                                 const dnnl_dims_t);
} conv_api;

static const conv_api conv_apis[2] = {
    {dnnl_convolution_direct, dnnl_dilated_convolution_forward_desc_init,
     dnnl_dilated_convolution_backward_data_desc_init,
     dnnl_dilated_convolution_backward_weights_desc_init},
    {dnnl_deconvolution_direct, dnnl_dilated_deconvolution_forward_desc_init,
     dnnl_dilated_deconvolution_backward_data_desc_init,
     dnnl_dilated_deconvolution_backward_weights_desc_init},
};

/* A node's problem in oneDNN terms. src and dst are the forward direction's (x and y), also
 * for backward nodes, where they hold diff_src / diff_dst. */
typedef struct conv_problem {
    const conv_api *api;
    const char *op;
    dnnl_dims_t strides, dilates, pad_l, pad_r;
    dnnl_memory_desc_t src, weights_any, bias, dst;
    bool has_bias;
} conv_problem;

/* Weights in the primitive's layout: a reorder from the user's PyTorch layout (to it, for
 * weight gradients) and the buffer it fills, valid while (src, version) are unchanged. */
typedef struct weights_cache {
    dnnl_memory_desc_t user, prim;
    dnnl_primitive_t reorder;       /* NULL when the primitive takes the user layout */
    parn_cpu_scratch buf;
    const float *src;
    uint64_t version;
    bool valid;
} weights_cache;

typedef struct conv_state {
    parn_cpu_state base;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    weights_cache w;
    parn_cpu_scratch act[2];        /* channels-last copies of activations laid out otherwise */
} conv_state;

static void conv_state_destroy(parn_cpu_state *state)
{
    conv_state *s = (conv_state *)state;
    if (s->prim) dnnl_primitive_destroy(s->prim);
    if (s->pd) dnnl_primitive_desc_destroy(s->pd);
    if (s->w.reorder) dnnl_primitive_destroy(s->w.reorder);
    parn_cpu_scratch_free(&s->w.buf);
    parn_cpu_scratch_free(&s->act[0]);
    parn_cpu_scratch_free(&s->act[1]);
    parn__free(s);
}

static conv_state *state_of(parn_node *n)
{
    if (!n->backend_state)
        n->backend_state = parn_cpu_state_new(sizeof(conv_state), conv_state_destroy);
    return n->backend_state;
}

static bool is_transposed(parn_op_type op)
{
    return op == PARN_OP_DECONV || op == PARN_OP_DECONV_BWD_DATA ||
           op == PARN_OP_DECONV_BWD_WEIGHTS;
}

static bool is_leaf(const parn_node *n)
{
    return n->op == PARN_OP_INPUT || n->op == PARN_OP_PARAM;
}

/* oneDNN's view of PyTorch weights: (G x) OC/G x IC/G x k..., taken from the tensor's own
 * strides. Conv weights are stored OC x IC/G x k, transposed ones IC x OC/G x k, so for
 * those the OC and IC strides swap; `any` lets the primitive choose instead. */
static dnnl_memory_desc_t weights_md(const parn_tensor *w, const parn_conv_attrs *a,
                                     bool transposed, bool any)
{
    dnnl_dims_t dims, strides;
    int d = 0, oc_dim = transposed ? 1 : 0, ic_dim = 1 - oc_dim;
    int64_t per_group = w->dims[0] / a->groups;
    if (a->groups > 1) {
        dims[d] = a->groups;
        strides[d++] = per_group * w->strides[0];
    }
    dims[d] = transposed ? w->dims[1] : per_group;
    strides[d++] = w->strides[oc_dim];
    dims[d] = transposed ? per_group : w->dims[1];
    strides[d++] = w->strides[ic_dim];
    for (int i = 2; i < w->ndim; i++, d++) {
        dims[d] = w->dims[i];
        strides[d] = w->strides[i];
    }
    dnnl_memory_desc_t md;
    if (any)
        dnnl_memory_desc_init_by_tag(&md, d, dims, dnnl_f32, dnnl_format_tag_any);
    else
        dnnl_memory_desc_init_by_strides(&md, d, dims, dnnl_f32, strides);
    return md;
}

/* The problem of node n whose forward input is x, output y and weights w (all dims known). */
static conv_problem problem_of(const parn_node *n, const parn_tensor *x, const parn_tensor *w,
                               const parn_tensor *y, const parn_tensor *bias)
{
    const parn_conv_attrs *a = &n->attrs.conv;
    bool transposed = is_transposed(n->op);
    conv_problem p = {.api = &conv_apis[transposed], .op = n->name, .has_bias = bias != NULL};
    for (int i = 0; i < a->rank; i++) {
        p.strides[i] = a->stride[i];
        p.dilates[i] = a->dilation[i] - 1; /* oneDNN counts the gaps */
        p.pad_l[i] = a->pad_lo[i];
        /* oneDNN derives a transposed output from the conv that it is the adjoint of; that
         * conv's floor division absorbs out_pad < stride, larger ones (allowed when smaller
         * than the dilation) must come off the padding instead. */
        p.pad_r[i] = a->pad_hi[i] - (a->out_pad[i] >= a->stride[i] ? a->out_pad[i] : 0);
    }
    p.src = parn_cpu_md(x);
    p.dst = parn_cpu_md(y);
    p.weights_any = weights_md(w, a, transposed, true);
    if (bias) p.bias = parn_cpu_md(bias);
    return p;
}

static parn_status op_desc(const conv_problem *p, conv_pass pass, dnnl_prop_kind_t prop,
                           dnnl_convolution_desc_t *desc)
{
    const dnnl_memory_desc_t *bias = p->has_bias ? &p->bias : NULL;
    dnnl_status_t s;
    if (pass == PASS_FWD)
        s = p->api->fwd(desc, prop, p->api->alg, &p->src, &p->weights_any, bias, &p->dst,
                        p->strides, p->dilates, p->pad_l, p->pad_r);
    else if (pass == PASS_BWD_DATA)
        s = p->api->bwd_data(desc, p->api->alg, &p->src, &p->weights_any, &p->dst, p->strides,
                             p->dilates, p->pad_l, p->pad_r);
    else
        s = p->api->bwd_weights(desc, p->api->alg, &p->src, &p->weights_any, bias, &p->dst,
                                p->strides, p->dilates, p->pad_l, p->pad_r);
    return parn_cpu_check(s, p->op);
}

/* Creates the pass's primitive; backward passes take a forward primitive descriptor as hint. */
static parn_status create_primitive(parn_backend_ctx *ctx, const conv_problem *p, conv_pass pass,
                                    dnnl_prop_kind_t prop, conv_state *s)
{
    dnnl_convolution_desc_t desc;
    dnnl_primitive_desc_t hint = NULL;
    if (pass != PASS_FWD) {
        PARN_TRY(op_desc(p, PASS_FWD, prop, &desc));
        PARN_DNNL(dnnl_primitive_desc_create(&hint, &desc, NULL, ctx->engine, NULL), p->op);
    }
    parn_status st = op_desc(p, pass, prop, &desc);
    if (st == PARN_OK) st = parn_cpu_primitive(ctx, &desc, NULL, hint, &s->pd, &s->prim);
    if (hint) dnnl_primitive_desc_destroy(hint);
    return st;
}

/* Sets up the weights cache for the primitive's chosen layout; to_user: gradients flow from
 * the primitive's layout to the user's. */
static parn_status weights_cache_init(parn_backend_ctx *ctx, weights_cache *c, const char *op,
                                      const dnnl_memory_desc_t *user,
                                      const dnnl_memory_desc_t *prim, bool to_user)
{
    c->user = *user;
    c->prim = *prim;
    if (dnnl_memory_desc_equal(user, prim)) return PARN_OK;
    PARN_TRY(parn_cpu_scratch_reserve(&c->buf, dnnl_memory_desc_get_size(prim)));
    dnnl_primitive_desc_t pd;
    PARN_DNNL(dnnl_reorder_primitive_desc_create(&pd, to_user ? prim : user, ctx->engine,
                                                 to_user ? user : prim, ctx->engine, NULL),
              op);
    dnnl_status_t st = dnnl_primitive_create(&c->reorder, pd);
    dnnl_primitive_desc_destroy(pd);
    if (st != dnnl_success) c->reorder = NULL;
    return parn_cpu_check(st, op);
}

/* Creates the primitive and the weights cache on the first run of a node; user_w holds the
 * weights (or, for weight gradients, their destination) in PyTorch's layout. */
static parn_status prepare(parn_backend_ctx *ctx, parn_node *n, conv_state *s,
                           const conv_problem *p, conv_pass pass, const parn_tensor *user_w)
{
    if (s->prim) return PARN_OK;
    for (int i = 0; i < n->attrs.conv.rank; i++)
        PARN_RETURN_IF(p->pad_r[i] + p->strides[i] <= 0, PARN_E_UNSUPPORTED,
                       "%s: out_pad[%d] = %d reaches the stride; the CPU needs pad_hi[%d] > %lld",
                       p->op, i, n->attrs.conv.out_pad[i], i,
                       (long long)(n->attrs.conv.out_pad[i] - p->strides[i]));
    bool training = pass != PASS_FWD || n->requires_grad;
    dnnl_prop_kind_t prop = training ? dnnl_forward_training : dnnl_forward_inference;
    PARN_TRY(create_primitive(ctx, p, pass, prop, s));
    dnnl_query_t q = pass == PASS_BWD_WEIGHTS ? dnnl_query_diff_weights_md : dnnl_query_weights_md;
    dnnl_memory_desc_t user = weights_md(user_w, &n->attrs.conv, is_transposed(n->op), false);
    parn_status st = weights_cache_init(ctx, &s->w, p->op, &user,
                                        dnnl_primitive_desc_query_md(s->pd, q, 0),
                                        pass == PASS_BWD_WEIGHTS);
    if (st != PARN_OK) {
        /* so that the next run starts over rather than use weights in the wrong layout */
        dnnl_primitive_destroy(s->prim);
        dnnl_primitive_desc_destroy(s->pd);
        s->prim = NULL;
        s->pd = NULL;
    }
    return st;
}

/* The weights in the primitive's layout. Leaves are reordered only when their data pointer or
 * version changed; other nodes change on every run without a version, so always. */
static parn_status weights_of(parn_backend_ctx *ctx, weights_cache *c, const parn_node *wn,
                              void **out)
{
    const parn_tensor *w = &wn->out;
    *out = w->data;
    if (!c->reorder) return PARN_OK;
    *out = c->buf.data;
    if (c->valid && c->src == w->data && c->version == w->version) return PARN_OK;
    parn_cpu_arg args[] = {{DNNL_ARG_FROM, &c->user, w->data},
                           {DNNL_ARG_TO, &c->prim, c->buf.data}};
    PARN_TRY(parn_cpu_execute(ctx, c->reorder, 2, args));
    c->src = w->data;
    c->version = w->version;
    c->valid = is_leaf(wn);
    return PARN_OK;
}

/* t in channels-last order: itself when it already is, else a copy in scratch. */
static parn_status channels_last(const parn_tensor *t, parn_cpu_scratch *scratch, parn_tensor *out)
{
    parn_tensor layout = *t;
    parn_tensor_set_channels_last(&layout);
    return parn_cpu_conform(t, &layout, scratch, out);
}

/* CONV or DECONV: srcs x, w[, b]. */
parn_status parn_cpu_conv(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    conv_state *s = state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "%s: out of memory", n->name);
    parn_tensor x;
    PARN_TRY(channels_last(parn_src(g, n, 0), &s->act[0], &x));
    const parn_node *wn = parn_src_node(g, n, 1);
    const parn_tensor *b = n->attrs.conv.has_bias ? parn_src(g, n, 2) : NULL;
    conv_problem p = problem_of(n, &x, &wn->out, &n->out, b);
    PARN_TRY(prepare(ctx, n, s, &p, PASS_FWD, &wn->out));
    void *w;
    PARN_TRY(weights_of(ctx, &s->w, wn, &w));
    parn_cpu_arg args[] = {{DNNL_ARG_SRC, &p.src, x.data},
                           {DNNL_ARG_WEIGHTS, &s->w.prim, w},
                           {DNNL_ARG_DST, &p.dst, n->out.data},
                           {DNNL_ARG_BIAS, &p.bias, b ? b->data : NULL}};
    return parn_cpu_execute(ctx, s->prim, b ? 4 : 3, args);
}

/* dx from srcs dy, w. */
parn_status parn_cpu_conv_bwd_data(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    conv_state *s = state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "%s: out of memory", n->name);
    parn_tensor dy;
    PARN_TRY(channels_last(parn_src(g, n, 0), &s->act[0], &dy));
    const parn_node *wn = parn_src_node(g, n, 1);
    conv_problem p = problem_of(n, &n->out, &wn->out, &dy, NULL);
    PARN_TRY(prepare(ctx, n, s, &p, PASS_BWD_DATA, &wn->out));
    void *w;
    PARN_TRY(weights_of(ctx, &s->w, wn, &w));
    parn_cpu_arg args[] = {{DNNL_ARG_DIFF_DST, &p.dst, dy.data},
                           {DNNL_ARG_WEIGHTS, &s->w.prim, w},
                           {DNNL_ARG_DIFF_SRC, &p.src, n->out.data}};
    return parn_cpu_execute(ctx, s->prim, 3, args);
}

/* dw (plain PyTorch layout) and, with a bias, db into side[0], from srcs dy, x. */
parn_status parn_cpu_conv_bwd_weights(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    conv_state *s = state_of(n);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "%s: out of memory", n->name);
    parn_tensor dy, x;
    PARN_TRY(channels_last(parn_src(g, n, 0), &s->act[0], &dy));
    PARN_TRY(channels_last(parn_src(g, n, 1), &s->act[1], &x));
    const parn_tensor *db = n->attrs.conv.has_bias ? &n->side[0] : NULL;
    conv_problem p = problem_of(n, &x, &n->out, &dy, db);
    PARN_TRY(prepare(ctx, n, s, &p, PASS_BWD_WEIGHTS, &n->out));
    weights_cache *c = &s->w;
    void *dw = c->reorder ? c->buf.data : n->out.data;
    parn_cpu_arg args[] = {{DNNL_ARG_SRC, &p.src, x.data},
                           {DNNL_ARG_DIFF_DST, &p.dst, dy.data},
                           {DNNL_ARG_DIFF_WEIGHTS, &c->prim, dw},
                           {DNNL_ARG_DIFF_BIAS, &p.bias, db ? db->data : NULL}};
    PARN_TRY(parn_cpu_execute(ctx, s->prim, db ? 4 : 3, args));
    if (!c->reorder) return PARN_OK;
    parn_cpu_arg back[] = {{DNNL_ARG_FROM, &c->prim, dw}, {DNNL_ARG_TO, &c->user, n->out.data}};
    return parn_cpu_execute(ctx, c->reorder, 2, back);
}
