/* SPDX-License-Identifier: MIT */
/* Softmax and log-softmax on cuDNN over any axis: a plain tensor is outer x axis x inner, which
 * cuDNN's channel mode normalises along the middle dim. */
#include "cuda.h"

#include <limits.h>

/* The descriptor of t (plain) as outer x axis x inner x 1. */
static parn_status axis_desc(const parn_node *n, const parn_tensor *t, int axis,
                             cudnnTensorDescriptor_t *out)
{
    PARN_RETURN_IF(!parn_tensor_is_plain(t), PARN_E_INTERNAL, "%s: the output is not plain",
                   n->name);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= t->dims[i];
    for (int i = axis + 1; i < t->ndim; i++) inner *= t->dims[i];
    PARN_RETURN_IF(outer > INT_MAX || inner > INT_MAX || t->dims[axis] > INT_MAX,
                   PARN_E_UNSUPPORTED, "%s: %s does not fit cuDNN's 32-bit dims", n->name,
                   parn_tensor_shape_str(t));
    return parn_cuda_dims_desc(4, (int64_t[]){outer, t->dims[axis], inner, 1}, out);
}

static cudnnSoftmaxAlgorithm_t algo_of(const parn_softmax_attrs *a)
{
    return a->log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE;
}

PARN_CUDA_KERNEL(softmax)
{
    const parn_softmax_attrs *a = &n->attrs.softmax;
    void *tmp = NULL;
    parn_tensor x;
    cudnnTensorDescriptor_t d = NULL;
    const float zero = 0.0f, one = 1.0f;
    parn_status st = parn_cuda_plain(ctx, parn_src(g, n, 0), &tmp, &x);
    if (st == PARN_OK) st = axis_desc(n, &n->out, a->axis, &d);
    if (st == PARN_OK)
        st = parn_cudnn_check(cudnnSoftmaxForward(ctx->cudnn, algo_of(a), CUDNN_SOFTMAX_MODE_CHANNEL,
                                                  &one, d, x.data, &zero, d, n->out.data),
                              n->name);
    if (d) cudnnDestroyTensorDescriptor(d);
    parn_cuda_free(ctx, tmp);
    return st;
}

/* srcs dy, y. */
PARN_CUDA_KERNEL(softmax_bwd)
{
    const parn_softmax_attrs *a = &n->attrs.softmax;
    void *tmp[2] = {NULL, NULL};
    parn_tensor dy, y;
    cudnnTensorDescriptor_t d = NULL;
    const float zero = 0.0f, one = 1.0f;
    parn_status st = parn_cuda_plain(ctx, parn_src(g, n, 0), &tmp[0], &dy);
    if (st == PARN_OK) st = parn_cuda_plain(ctx, parn_src(g, n, 1), &tmp[1], &y);
    if (st == PARN_OK) st = axis_desc(n, &n->out, a->axis, &d);
    if (st == PARN_OK)
        st = parn_cudnn_check(cudnnSoftmaxBackward(ctx->cudnn, algo_of(a), CUDNN_SOFTMAX_MODE_CHANNEL,
                                                   &one, d, y.data, d, dy.data, &zero, d,
                                                   n->out.data),
                              n->name);
    if (d) cudnnDestroyTensorDescriptor(d);
    parn_cuda_free(ctx, tmp[0]);
    parn_cuda_free(ctx, tmp[1]);
    return st;
}
