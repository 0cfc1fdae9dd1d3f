/* SPDX-License-Identifier: MIT */
/* Batch normalisation on cuDNN (spatial mode: per channel over N and every spatial position,
 * which is also PyTorch's BatchNorm1d over N x C). Training normalises with the batch mean and
 * biased variance and updates the running statistics in place with the unbiased variance,
 * exactly PyTorch's (and the CPU's) update, which cuDNN's exponential average factor is; the
 * side outputs hold the statistics used: batch mean and biased variance (from cuDNN's saved
 * inverse standard deviation), or copies of the running ones in inference. */
#include "cuda.h"

/* Descriptors of x (rank 2..5, plain) and of the per-channel vectors. */
typedef struct bn_descs {
    cudnnTensorDescriptor_t x, c;
} bn_descs;

static void bn_descs_free(bn_descs *d)
{
    if (d->x) cudnnDestroyTensorDescriptor(d->x);
    if (d->c) cudnnDestroyTensorDescriptor(d->c);
}

static parn_status make_descs(const parn_tensor *x, bn_descs *d, const char *what)
{
    parn_tensor plain = *x;
    parn_tensor_set_plain(&plain);
    PARN_TRY(parn_cuda_tensor_desc(&plain, &d->x));
    PARN_DNN(cudnnCreateTensorDescriptor(&d->c), what);
    PARN_DNN(cudnnDeriveBNTensorDescriptor(d->c, d->x, CUDNN_BATCHNORM_SPATIAL), what);
    return PARN_OK;
}

/* The leaf behind src i (running statistics), whose version moves on when it is written. */
static parn_tensor *leaf_of(parn_graph *g, parn_node *n, int i)
{
    return &parn_graph_node(g, n->src[i])->out;
}

static parn_status forward(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, bn_descs *d,
                           void **tmp)
{
    const parn_batch_norm_attrs *a = &n->attrs.bn;
    parn_tensor x;
    PARN_TRY(parn_cuda_plain(ctx, parn_src(g, n, 0), &tmp[0], &x));
    PARN_TRY(make_descs(&x, d, n->name));
    const float *gamma = parn_src(g, n, 1)->data, *beta = parn_src(g, n, 2)->data;
    parn_tensor *rm = leaf_of(g, n, 3), *rv = leaf_of(g, n, 4);
    int64_t c = n->side[0].dims[0];
    size_t stat_bytes = (size_t)c * sizeof(float);
    const float zero = 0.0f, one = 1.0f;
    if (!a->training) {
        /* the statistics used are the side outputs in both modes (the backward op reads them) */
        PARN_CU(cudaMemcpyAsync(n->side[0].data, rm->data, stat_bytes, cudaMemcpyDeviceToDevice,
                                ctx->stream),
                n->name);
        PARN_CU(cudaMemcpyAsync(n->side[1].data, rv->data, stat_bytes, cudaMemcpyDeviceToDevice,
                                ctx->stream),
                n->name);
        PARN_DNN(cudnnBatchNormalizationForwardInference(
                     ctx->cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, d->x, x.data, d->x,
                     n->out.data, d->c, gamma, beta, rm->data, rv->data, (double)a->eps),
                 n->name);
        return PARN_OK;
    }
    PARN_TRY(parn_cuda_alloc_for(ctx, stat_bytes, n->name, &tmp[1]));
    PARN_DNN(cudnnBatchNormalizationForwardTraining(
                 ctx->cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, d->x, x.data, d->x, n->out.data,
                 d->c, gamma, beta, (double)a->momentum, rm->data, rv->data, (double)a->eps,
                 n->side[0].data, tmp[1]),
             n->name);
    PARN_CU(parn_cuda_bn_var_from_invstd(ctx->stream, c, a->eps, tmp[1], n->side[1].data), n->name);
    /* written in place: the executor copies them back to the host */
    rm->version++;
    rv->version++;
    return PARN_OK;
}

PARN_CUDA_KERNEL(batch_norm)
{
    bn_descs d = {NULL, NULL};
    void *tmp[2] = {NULL, NULL};
    parn_status st = forward(ctx, g, n, &d, tmp);
    bn_descs_free(&d);
    parn_cuda_free(ctx, tmp[0]);
    parn_cuda_free(ctx, tmp[1]);
    return st;
}

/* srcs dy, x, gamma, fwd (the BATCH_NORM node) -> dx; side 0 = dgamma, side 1 = dbeta. */
static parn_status backward(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, bn_descs *d,
                            void **tmp)
{
    const parn_batch_norm_attrs *a = &n->attrs.bn;
    const parn_node *fwd = parn_src_node(g, n, 3);
    parn_tensor dy, x;
    PARN_TRY(parn_cuda_plain(ctx, parn_src(g, n, 0), &tmp[0], &dy));
    PARN_TRY(parn_cuda_plain(ctx, parn_src(g, n, 1), &tmp[1], &x));
    const float *gamma = parn_src(g, n, 2)->data;
    if (!a->training) {
        int64_t c = x.dims[1], inner = parn_tensor_numel(&x) / (x.dims[0] * c);
        return parn_cuda_launched(parn_cuda_bn_eval_bwd(ctx->stream, x.dims[0], c, inner, a->eps,
                                                        x.data, dy.data, gamma, fwd->side[0].data,
                                                        fwd->side[1].data, n->out.data,
                                                        n->side[0].data, n->side[1].data),
                                  n);
    }
    PARN_TRY(make_descs(&x, d, n->name));
    const float zero = 0.0f, one = 1.0f;
    /* without the saved statistics cuDNN recomputes them from x: the same batch statistics */
    PARN_DNN(cudnnBatchNormalizationBackward(ctx->cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero,
                                             &one, &zero, d->x, x.data, d->x, dy.data, d->x,
                                             n->out.data, d->c, gamma, n->side[0].data,
                                             n->side[1].data, (double)a->eps, NULL, NULL),
             n->name);
    return PARN_OK;
}

PARN_CUDA_KERNEL(batch_norm_bwd)
{
    bn_descs d = {NULL, NULL};
    void *tmp[2] = {NULL, NULL};
    parn_status st = backward(ctx, g, n, &d, tmp);
    bn_descs_free(&d);
    parn_cuda_free(ctx, tmp[0]);
    parn_cuda_free(ctx, tmp[1]);
    return st;
}
