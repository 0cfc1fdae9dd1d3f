/* SPDX-License-Identifier: MIT */
/* The CPU backend: oneDNN engine and stream per session, OpenMP thread count, kernel table. */
#include "cpu.h"
#include "cpu_kernels.h"
#include "strided.h"

#include <omp.h>
#include <stdio.h>
#include <string.h>

parn_status parn_cpu_check(dnnl_status_t s, const char *what)
{
    if (s == dnnl_success) return PARN_OK;
    if (s == dnnl_out_of_memory) return parn__fail(PARN_E_NOMEM, "%s: oneDNN is out of memory", what);
    if (s == dnnl_unimplemented)
        return parn__fail(PARN_E_UNSUPPORTED, "%s: oneDNN has no implementation for this case", what);
    return parn__fail(PARN_E_BACKEND, "%s: oneDNN error %d", what, (int)s);
}

dnnl_memory_desc_t parn_cpu_md(const parn_tensor *t)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t dims, strides;
    int nd = t->ndim ? t->ndim : 1;
    for (int i = 0; i < nd; i++) {
        dims[i] = t->ndim ? t->dims[i] : 1;
        strides[i] = t->ndim ? t->strides[i] : 1;
    }
    if (dnnl_memory_desc_init_by_strides(&md, nd, dims, dnnl_f32, strides) != dnnl_success)
        memset(&md, 0, sizeof md);
    return md;
}

parn_status parn_cpu_primitive(parn_backend_ctx *ctx, const_dnnl_op_desc_t desc,
                               const_dnnl_primitive_attr_t attr,
                               const_dnnl_primitive_desc_t hint, dnnl_primitive_desc_t *pd,
                               dnnl_primitive_t *prim)
{
    *pd = NULL;
    *prim = NULL;
    PARN_DNNL(dnnl_primitive_desc_create(pd, desc, attr, ctx->engine, hint), "primitive descriptor");
    dnnl_status_t s = dnnl_primitive_create(prim, *pd);
    if (s != dnnl_success) {
        dnnl_primitive_desc_destroy(*pd);
        *pd = NULL;
        return parn_cpu_check(s, "primitive");
    }
    return PARN_OK;
}

parn_status parn_cpu_execute(parn_backend_ctx *ctx, dnnl_primitive_t prim, int nargs,
                             const parn_cpu_arg *args)
{
    dnnl_exec_arg_t exec[16];
    PARN_RETURN_IF(nargs > 16, PARN_E_INTERNAL, "cpu: too many primitive arguments");
    parn_status st = PARN_OK;
    int made = 0;
    for (; made < nargs; made++) {
        exec[made].arg = args[made].arg;
        st = parn_cpu_check(dnnl_memory_create(&exec[made].memory, args[made].md, ctx->engine,
                                               args[made].data ? args[made].data : DNNL_MEMORY_NONE),
                            "memory");
        if (st != PARN_OK) break;
    }
    if (st == PARN_OK) st = parn_cpu_check(dnnl_primitive_execute(prim, ctx->stream, nargs, exec), "execute");
    if (st == PARN_OK) st = parn_cpu_check(dnnl_stream_wait(ctx->stream), "stream");
    for (int i = 0; i < made; i++) dnnl_memory_destroy(exec[i].memory);
    return st;
}

parn_status parn_cpu_scratch_reserve(parn_cpu_scratch *s, size_t bytes)
{
    if (s->bytes >= bytes) return PARN_OK;
    float *p = parn__aligned_alloc(bytes);
    PARN_RETURN_IF(!p, PARN_E_NOMEM, "cpu: out of memory for %zu bytes of scratch", bytes);
    parn__free(s->data);
    s->data = p;
    s->bytes = bytes;
    return PARN_OK;
}

void parn_cpu_scratch_free(parn_cpu_scratch *s)
{
    parn__free(s->data);
    s->data = NULL;
    s->bytes = 0;
}

parn_status parn_cpu_conform(const parn_tensor *src, const parn_tensor *layout,
                             parn_cpu_scratch *scratch, parn_tensor *out)
{
    *out = *src;
    if (parn_tensor_same_layout(src, layout)) return PARN_OK;
    PARN_RETURN_IF(!parn_tensor_same_dims(src, layout), PARN_E_INTERNAL,
                   "cpu: cannot lay %s out as %s", parn_tensor_shape_str(src),
                   parn_tensor_shape_str(layout));
    PARN_TRY(parn_cpu_scratch_reserve(scratch, (size_t)parn_tensor_numel(src) * sizeof(float)));
    for (int i = 0; i < src->ndim; i++) out->strides[i] = layout->strides[i];
    out->data = scratch->data;
    parn_walk_copy(src->ndim, src->dims, out->data, out->strides, src->data, src->strides);
    return PARN_OK;
}

void *parn_cpu_state_new(size_t size, void (*destroy)(parn_cpu_state *))
{
    parn_cpu_state *s = parn__calloc(1, size);
    if (s) s->destroy = destroy;
    return s;
}

void *parn_cpu_state_of(parn_node *n, size_t size, void (*destroy)(parn_cpu_state *))
{
    if (!n->backend_state) n->backend_state = parn_cpu_state_new(size, destroy);
    return n->backend_state;
}

void parn_cpu_scratch_state_destroy(parn_cpu_state *s)
{
    parn_cpu_scratch_state *st = (parn_cpu_scratch_state *)s;
    for (int k = 0; k < PARN_CPU_SCRATCH_MAX; k++) parn_cpu_scratch_free(&st->scratch[k]);
    parn__free(st);
}

parn_cpu_scratch_state *parn_cpu_scratch_state_of(parn_node *n)
{
    return parn_cpu_state_of(n, sizeof(parn_cpu_scratch_state), parn_cpu_scratch_state_destroy);
}

parn_status parn_cpu_conform_src(parn_graph *g, parn_node *n, int i, const parn_tensor *layout,
                                 int k, parn_tensor *out)
{
    parn_cpu_scratch_state *s = n->backend_state;
    PARN_RETURN_IF(!s || k < 0 || k >= PARN_CPU_SCRATCH_MAX, PARN_E_INTERNAL,
                   "cpu: the node's state has no scratch %d", k);
    return parn_cpu_conform(parn_src(g, n, i), layout, &s->scratch[k], out);
}

parn_status parn_cpu_conform_srcs(parn_graph *g, parn_node *n, int first, int count,
                                  const parn_tensor *layout, parn_tensor *out)
{
    const parn_tensor *lead = parn_src(g, n, first);
    parn_tensor plain = *lead;
    if (!layout) {
        parn_tensor_set_plain(&plain);
        layout = parn_tensor_is_dense(lead) ? lead : &plain;
    }
    for (int k = 0; k < count; k++)
        PARN_TRY(parn_cpu_conform_src(g, n, first + k, layout, k, &out[k]));
    return PARN_OK;
}

static void prim_state_destroy(parn_cpu_state *s)
{
    parn_cpu_prim_state *p = (parn_cpu_prim_state *)s;
    if (p->prim) dnnl_primitive_destroy(p->prim);
    if (p->fwd_pd) dnnl_primitive_desc_destroy(p->fwd_pd);
    if (p->bwd_pd) dnnl_primitive_desc_destroy(p->bwd_pd);
    parn_cpu_scratch_state_destroy(s);
}

parn_cpu_prim_state *parn_cpu_prim_state_of(parn_node *n)
{
    return parn_cpu_state_of(n, sizeof(parn_cpu_prim_state), prim_state_destroy);
}

static parn_status ctx_create(int device, int threads, parn_backend_ctx **out)
{
    PARN_RETURN_IF(device != 0, PARN_E_DEVICE, "cpu: there is only device 0, not %d", device);
    parn_backend_ctx *ctx = parn__calloc(1, sizeof *ctx);
    PARN_RETURN_IF(!ctx, PARN_E_NOMEM, "cpu: out of memory");
    ctx->threads = threads > 0 ? threads : omp_get_num_procs();
    parn_status st = parn_cpu_check(dnnl_engine_create(&ctx->engine, dnnl_cpu, 0), "cpu engine");
    if (st == PARN_OK)
        st = parn_cpu_check(dnnl_stream_create(&ctx->stream, ctx->engine, dnnl_stream_default_flags),
                            "cpu stream");
    if (st != PARN_OK) {
        if (ctx->engine) dnnl_engine_destroy(ctx->engine);
        parn__free(ctx);
        return st;
    }
    *out = ctx;
    return PARN_OK;
}

static void ctx_destroy(parn_backend_ctx *ctx)
{
    if (!ctx) return;
    dnnl_stream_destroy(ctx->stream);
    dnnl_engine_destroy(ctx->engine);
    parn__free(ctx);
}

static void ctx_enter(parn_backend_ctx *ctx)
{
    /* OpenMP's thread count is per calling thread, so sessions on different threads differ. */
    omp_set_num_threads(ctx->threads);
}

static float *cpu_alloc(parn_backend_ctx *ctx, size_t bytes)
{
    (void)ctx;
    return parn__aligned_alloc(bytes);
}

static void cpu_free(parn_backend_ctx *ctx, float *p)
{
    (void)ctx;
    parn__free(p);
}

static void node_state_free(void *state)
{
    parn_cpu_state *s = state;
    if (s) s->destroy(s);
}

static const parn_kernel_fn kernels[PARN_OP__COUNT] = {
    [PARN_OP_CONV] = parn_cpu_conv,
    [PARN_OP_CONV_BWD_DATA] = parn_cpu_conv_bwd_data,
    [PARN_OP_CONV_BWD_WEIGHTS] = parn_cpu_conv_bwd_weights,
    [PARN_OP_DECONV] = parn_cpu_deconv,
    [PARN_OP_DECONV_BWD_DATA] = parn_cpu_deconv_bwd_data,
    [PARN_OP_DECONV_BWD_WEIGHTS] = parn_cpu_deconv_bwd_weights,
    [PARN_OP_POOL] = parn_cpu_pool,
    [PARN_OP_POOL_BWD] = parn_cpu_pool_bwd,
    [PARN_OP_BATCH_NORM] = parn_cpu_batch_norm,
    [PARN_OP_BATCH_NORM_BWD] = parn_cpu_batch_norm_bwd,
    [PARN_OP_LINEAR] = parn_cpu_linear,
    [PARN_OP_LINEAR_BWD_DATA] = parn_cpu_linear_bwd_data,
    [PARN_OP_LINEAR_BWD_WEIGHTS] = parn_cpu_linear_bwd_weights,
    [PARN_OP_ACT] = parn_cpu_act,
    [PARN_OP_ACT_BWD] = parn_cpu_act_bwd,
    [PARN_OP_SOFTMAX] = parn_cpu_softmax,
    [PARN_OP_SOFTMAX_BWD] = parn_cpu_softmax_bwd,
    [PARN_OP_BINARY] = parn_cpu_binary,
    [PARN_OP_AFFINE] = parn_cpu_affine,
    [PARN_OP_REDUCE] = parn_cpu_reduce,
    [PARN_OP_EXPAND] = parn_cpu_expand,
    [PARN_OP_CONCAT] = parn_cpu_concat,
    [PARN_OP_SLICE] = parn_cpu_slice,
    [PARN_OP_PAD] = parn_cpu_pad,
    [PARN_OP_RESHAPE] = parn_cpu_reshape,
    [PARN_OP_PERMUTE] = parn_cpu_permute,
    [PARN_OP_RESIZE] = parn_cpu_resize,
    [PARN_OP_RESIZE_BWD] = parn_cpu_resize_bwd,
    [PARN_OP_DROPOUT] = parn_cpu_dropout,
    [PARN_OP_SIDE] = parn_cpu_side,
    [PARN_OP_CROSS_ENTROPY] = parn_cpu_cross_entropy,
    [PARN_OP_CROSS_ENTROPY_BWD] = parn_cpu_cross_entropy_bwd,
    [PARN_OP_BCE_LOGITS] = parn_cpu_bce_logits,
    [PARN_OP_BCE_LOGITS_BWD] = parn_cpu_bce_logits_bwd,
    [PARN_OP_DIST_LOSS] = parn_cpu_dist_loss,
    [PARN_OP_DIST_LOSS_BWD] = parn_cpu_dist_loss_bwd,
    [PARN_OP_SSIM] = parn_cpu_ssim,
    [PARN_OP_SSIM_BWD] = parn_cpu_ssim_bwd,
    [PARN_OP_COSINE] = parn_cpu_cosine,
    [PARN_OP_COSINE_BWD] = parn_cpu_cosine_bwd,
};

static const parn_backend cpu_backend = {
    .api_version = PARN_BACKEND_API_VERSION,
    .name = "cpu",
    .channels_last = true,
    .ctx_create = ctx_create,
    .ctx_destroy = ctx_destroy,
    .ctx_enter = ctx_enter,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .node_state_free = node_state_free,
    .kernels = kernels,
};

const parn_backend *parn_backend_cpu(void)
{
    return &cpu_backend;
}
