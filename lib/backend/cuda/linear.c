/* SPDX-License-Identifier: MIT */
/* Fully connected layers on cuBLAS (row-major N x IC x, OC x IC w, seen by cuBLAS as their
 * column-major transposes), the bias through cuDNN: y = x w^T + b, dx = dy w, dw = dy^T x,
 * db = the column sums of dy. fp32 GEMMs unless the session asked for TF32. */
#include "cuda.h"

/* A 2-D src plain (copied into *tmp when it is not). */
static parn_status matrix(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, int i, void **tmp,
                          const float **out)
{
    parn_tensor t;
    PARN_TRY(parn_cuda_plain(ctx, parn_src(g, n, i), tmp, &t));
    *out = t.data;
    return PARN_OK;
}

/* cuBLAS takes int sizes. */
static parn_status int_dims(const parn_node *n, int64_t a, int64_t b, int64_t c)
{
    PARN_RETURN_IF(a > INT32_MAX || b > INT32_MAX || c > INT32_MAX, PARN_E_UNSUPPORTED,
                   "%s: a dim does not fit cuBLAS's 32 bits", n->name);
    return PARN_OK;
}

/* Descriptors of an N x C matrix as N x C x 1 x 1 and of a 1 x C x 1 x 1 vector. */
static parn_status bias_descs(int64_t rows, int64_t cols, cudnnTensorDescriptor_t *m,
                              cudnnTensorDescriptor_t *v)
{
    PARN_TRY(parn_cuda_dims_desc(4, (int64_t[]){rows, cols, 1, 1}, m));
    return parn_cuda_dims_desc(4, (int64_t[]){1, cols, 1, 1}, v);
}

static void destroy_descs(cudnnTensorDescriptor_t m, cudnnTensorDescriptor_t v)
{
    if (m) cudnnDestroyTensorDescriptor(m);
    if (v) cudnnDestroyTensorDescriptor(v);
}

static parn_status forward(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, void **tmp)
{
    const float *x, *w, zero = 0.0f, one = 1.0f;
    PARN_TRY(matrix(ctx, g, n, 0, &tmp[0], &x));
    PARN_TRY(matrix(ctx, g, n, 1, &tmp[1], &w));
    int64_t rows = n->out.dims[0], oc = n->out.dims[1], ic = parn_src(g, n, 0)->dims[1];
    PARN_TRY(int_dims(n, rows, oc, ic));
    /* column-major: y^T (OC x N) = (w, stored as IC x OC)^T x^T (IC x N) */
    PARN_BLAS(cublasSgemm(ctx->cublas, CUBLAS_OP_T, CUBLAS_OP_N, (int)oc, (int)rows, (int)ic, &one, w,
                          (int)ic, x, (int)ic, &zero, n->out.data, (int)oc),
              n->name);
    if (n->n_src < 3) return PARN_OK;
    const float *b;
    PARN_TRY(matrix(ctx, g, n, 2, &tmp[2], &b));
    cudnnTensorDescriptor_t md = NULL, vd = NULL;
    parn_status st = bias_descs(rows, oc, &md, &vd);
    if (st == PARN_OK)
        st = parn_cudnn_check(cudnnAddTensor(ctx->cudnn, &one, vd, b, &one, md, n->out.data), n->name);
    destroy_descs(md, vd);
    return st;
}

PARN_CUDA_KERNEL(linear)
{
    void *tmp[3] = {NULL, NULL, NULL};
    parn_status st = forward(ctx, g, n, tmp);
    for (int i = 0; i < 3; i++) parn_cuda_free(ctx, tmp[i]);
    return st;
}

/* dx (N x IC) = dy (N x OC) w (OC x IC); srcs dy, w. */
static parn_status backward_data(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, void **tmp)
{
    const float *dy, *w, zero = 0.0f, one = 1.0f;
    PARN_TRY(matrix(ctx, g, n, 0, &tmp[0], &dy));
    PARN_TRY(matrix(ctx, g, n, 1, &tmp[1], &w));
    int64_t rows = n->out.dims[0], ic = n->out.dims[1], oc = parn_src(g, n, 0)->dims[1];
    PARN_TRY(int_dims(n, rows, oc, ic));
    /* column-major: dx^T (IC x N) = w^T (IC x OC) dy^T (OC x N) */
    return parn_cublas_check(cublasSgemm(ctx->cublas, CUBLAS_OP_N, CUBLAS_OP_N, (int)ic, (int)rows,
                                         (int)oc, &one, w, (int)ic, dy, (int)oc, &zero, n->out.data,
                                         (int)ic),
                             n->name);
}

PARN_CUDA_KERNEL(linear_bwd_data)
{
    void *tmp[2] = {NULL, NULL};
    parn_status st = backward_data(ctx, g, n, tmp);
    parn_cuda_free(ctx, tmp[0]);
    parn_cuda_free(ctx, tmp[1]);
    return st;
}

/* dw (OC x IC) = dy^T (OC x N) x (N x IC), db (side 0) = sum of dy's rows; srcs dy, x. */
static parn_status backward_weights(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, void **tmp)
{
    const float *dy, *x, zero = 0.0f, one = 1.0f;
    PARN_TRY(matrix(ctx, g, n, 0, &tmp[0], &dy));
    PARN_TRY(matrix(ctx, g, n, 1, &tmp[1], &x));
    int64_t oc = n->out.dims[0], ic = n->out.dims[1], rows = parn_src(g, n, 0)->dims[0];
    PARN_TRY(int_dims(n, rows, oc, ic));
    /* column-major: dw^T (IC x OC) = x^T (IC x N) dy (N x OC), dy being dy^T (OC x N) stored */
    PARN_BLAS(cublasSgemm(ctx->cublas, CUBLAS_OP_N, CUBLAS_OP_T, (int)ic, (int)oc, (int)rows, &one, x,
                          (int)ic, dy, (int)oc, &zero, n->out.data, (int)ic),
              n->name);
    if (!n->attrs.linear.has_bias) return PARN_OK;
    cudnnTensorDescriptor_t md = NULL, vd = NULL;
    parn_status st = bias_descs(rows, oc, &md, &vd);
    if (st == PARN_OK)
        st = parn_cudnn_check(cudnnConvolutionBackwardBias(ctx->cudnn, &one, md, dy, &zero, vd,
                                                           n->side[0].data),
                              n->name);
    destroy_descs(md, vd);
    return st;
}

PARN_CUDA_KERNEL(linear_bwd_weights)
{
    void *tmp[2] = {NULL, NULL};
    parn_status st = backward_weights(ctx, g, n, tmp);
    parn_cuda_free(ctx, tmp[0]);
    parn_cuda_free(ctx, tmp[1]);
    return st;
}
