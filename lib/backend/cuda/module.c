/* SPDX-License-Identifier: MIT */
/* The module's entry point, the kernel table, and the libparn services the backend's code
 * calls by their usual names (parn__fail, parn__malloc, parn_src ...), forwarded to the host
 * table that libparn passed in, so that there is one error message per thread, not two. */
#include "cuda.h"
#include "module.h"

#include <stdio.h>

static const parn_cuda_host *host;

/* ---- libparn's services, through the host table ---------------------------------------------- */

parn_status parn__fail(parn_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    parn_status r = host->vfail(st, fmt, ap);
    va_end(ap);
    return r;
}

const char *parn__thread_error(void)
{
    return host->thread_error();
}

void *parn__malloc(size_t size)
{
    return host->malloc(size);
}

void *parn__calloc(size_t count, size_t size)
{
    return host->calloc(count, size);
}

void *parn__realloc(void *ptr, size_t size)
{
    return host->realloc(ptr, size);
}

void parn__free(void *ptr)
{
    host->free(ptr);
}

parn_node *parn_graph_node(parn_graph *g, int id)
{
    return host->graph_node(g, id);
}

parn_rng *parn_graph_rng(parn_graph *g)
{
    return host->graph_rng(g);
}

const parn_tensor *parn_src(const parn_graph *g, const parn_node *n, int i)
{
    return &host->graph_node((parn_graph *)g, n->src[i])->out;
}

const parn_node *parn_src_node(const parn_graph *g, const parn_node *n, int i)
{
    return host->graph_node((parn_graph *)g, n->src[i]);
}

/* ---- the backend ------------------------------------------------------------------------------- */

static const parn_kernel_fn kernels[PARN_OP__COUNT] = {
    [PARN_OP_CONV] = parn_cuda_conv,
    [PARN_OP_CONV_BWD_DATA] = parn_cuda_conv,
    [PARN_OP_CONV_BWD_WEIGHTS] = parn_cuda_conv,
    [PARN_OP_DECONV] = parn_cuda_conv,
    [PARN_OP_DECONV_BWD_DATA] = parn_cuda_conv,
    [PARN_OP_DECONV_BWD_WEIGHTS] = parn_cuda_conv,
    [PARN_OP_POOL] = parn_cuda_pool,
    [PARN_OP_POOL_BWD] = parn_cuda_pool_bwd,
    [PARN_OP_BATCH_NORM] = parn_cuda_batch_norm,
    [PARN_OP_BATCH_NORM_BWD] = parn_cuda_batch_norm_bwd,
    [PARN_OP_LINEAR] = parn_cuda_linear,
    [PARN_OP_LINEAR_BWD_DATA] = parn_cuda_linear_bwd_data,
    [PARN_OP_LINEAR_BWD_WEIGHTS] = parn_cuda_linear_bwd_weights,
    [PARN_OP_ACT] = parn_cuda_act,
    [PARN_OP_ACT_BWD] = parn_cuda_act_bwd,
    [PARN_OP_SOFTMAX] = parn_cuda_softmax,
    [PARN_OP_SOFTMAX_BWD] = parn_cuda_softmax_bwd,
    [PARN_OP_BINARY] = parn_cuda_binary,
    [PARN_OP_AFFINE] = parn_cuda_affine,
    [PARN_OP_REDUCE] = parn_cuda_reduce,
    [PARN_OP_EXPAND] = parn_cuda_expand,
    [PARN_OP_CONCAT] = parn_cuda_concat,
    [PARN_OP_SLICE] = parn_cuda_slice,
    [PARN_OP_PAD] = parn_cuda_pad,
    [PARN_OP_RESHAPE] = parn_cuda_reshape,
    [PARN_OP_PERMUTE] = parn_cuda_permute,
    [PARN_OP_RESIZE] = parn_cuda_resize,
    [PARN_OP_RESIZE_BWD] = parn_cuda_resize_bwd,
    [PARN_OP_DROPOUT] = parn_cuda_dropout,
    [PARN_OP_SIDE] = parn_cuda_side,
    [PARN_OP_CROSS_ENTROPY] = parn_cuda_cross_entropy,
    [PARN_OP_CROSS_ENTROPY_BWD] = parn_cuda_cross_entropy_bwd,
    [PARN_OP_BCE_LOGITS] = parn_cuda_bce_logits,
    [PARN_OP_BCE_LOGITS_BWD] = parn_cuda_bce_logits_bwd,
    [PARN_OP_DIST_LOSS] = parn_cuda_dist_loss,
    [PARN_OP_DIST_LOSS_BWD] = parn_cuda_dist_loss_bwd,
    [PARN_OP_SSIM] = parn_cuda_ssim,
    [PARN_OP_SSIM_BWD] = parn_cuda_ssim_bwd,
    [PARN_OP_COSINE] = parn_cuda_cosine,
    [PARN_OP_COSINE_BWD] = parn_cuda_cosine_bwd,
};

static float *backend_alloc(parn_backend_ctx *ctx, size_t bytes)
{
    return parn_cuda_alloc(ctx, bytes);
}

static void backend_free(parn_backend_ctx *ctx, float *p)
{
    parn_cuda_free(ctx, p);
}

static const parn_backend cuda_backend = {
    .api_version = PARN_BACKEND_API_VERSION,
    .name = "cuda",
    /* plain NCDHW, the layout cuDNN's fp32 convolutions and every kernel take without copies */
    .channels_last = false,
    .ctx_create = parn_cuda_ctx_create,
    .ctx_destroy = parn_cuda_ctx_destroy,
    .ctx_enter = parn_cuda_ctx_enter,
    .alloc = backend_alloc,
    .free = backend_free,
    .node_state_free = parn_cuda_node_state_free,
    .kernels = kernels,
    .upload = parn_cuda_upload,
    .download = parn_cuda_download,
    .ctx_set_precision = parn_cuda_ctx_set_precision,
};

static const parn_cuda_module module = {
    .version = PARN_CUDA_MODULE_VERSION,
    .backend = &cuda_backend,
    .device_count = parn_cuda_device_count,
    .versions = parn_cuda_versions,
};

__attribute__((visibility("default"))) parn_status
parn_cuda_module_open(const parn_cuda_host *h, const parn_cuda_module **out);

parn_status parn_cuda_module_open(const parn_cuda_host *h, const parn_cuda_module **out)
{
    /* the host's own error path may be unusable when the table does not match, so a mismatch
     * is only reported through the status; libparn then explains it */
    if (!h || !out || h->version != PARN_CUDA_MODULE_VERSION ||
        h->backend_api != PARN_BACKEND_API_VERSION || h->node_size != sizeof(parn_node) ||
        h->tensor_size != sizeof(parn_tensor))
        return PARN_E_ABI;
    host = h;
    *out = &module;
    return PARN_OK;
}
