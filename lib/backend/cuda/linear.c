/* SPDX-License-Identifier: MIT */
/* Fully connected layers on cuBLAS (row-major N x IC x, OC x IC w, seen by cuBLAS as their
 * column-major transposes), the bias through cuDNN: y = x w^T + b, dx = dy w, dw = dy^T x,
 * db = the column sums of dy. fp32 GEMMs unless the session asked for TF32. In precision
 * "fp16"/"bf16" the forward GEMM takes x and w in half (w converted once per upload, kept in
 * the node's state) and accumulates and writes fp32 (cublasGemmEx, CUBLAS_COMPUTE_32F): no
 * conversion of the output. */
#include "cuda.h"

/* A dense node's half weights (precision fp16/bf16 only). */
typedef struct linear_state {
    parn_cuda_state base;
    parn_backend_ctx *ctx;
    parn_cuda_half_cache hw;
} linear_state;

static void linear_state_destroy(parn_cuda_state *st)
{
    linear_state *s = (linear_state *)st;
    if (s->hw.data) parn_cuda_free(s->ctx, s->hw.data);
    parn__free(s);
}

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

/* src (fp32, any strides) as a plain half matrix in a new block *dst. */
static parn_status to_half(parn_backend_ctx *ctx, const parn_node *n, const parn_tensor *src,
                          void **dst)
{
    parn_tensor h = *src;
    parn_tensor_set_plain(&h);
    PARN_TRY(parn_cuda_alloc_for(ctx, (size_t)parn_tensor_numel(src) * 2, n->name, dst));
    return parn_cuda_launched(parn_k_to_half(ctx->stream, ctx->half, *dst, parn_cuda_view(&h),
                                             src->data, parn_cuda_view(src)),
                              n);
}

/* The weights in half, plain (kept across runs, see cuda.h). */
static parn_status half_weights(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, void **tmp,
                                const void **out)
{
    linear_state *s = parn_cuda_state_of(n, sizeof(linear_state), linear_state_destroy);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "%s: out of memory", n->name);
    s->ctx = ctx;
    parn_tensor layout = *parn_src(g, n, 1);
    parn_tensor_set_plain(&layout);
    return parn_cuda_half_weights(ctx, g, n, 1, &layout, &s->hw, tmp, out);
}

/* y (fp32) = x w^T on half tensor cores with fp32 accumulation. */
static parn_status gemm_half(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, void **tmp,
                             int64_t rows, int64_t oc, int64_t ic)
{
    const void *w = NULL;
    const float zero = 0.0f, one = 1.0f;
    cudaDataType_t t = ctx->half == PARN_K_F16 ? CUDA_R_16F : CUDA_R_16BF;
    PARN_TRY(to_half(ctx, n, parn_src(g, n, 0), &tmp[0]));
    PARN_TRY(half_weights(ctx, g, n, &tmp[1], &w));
    return parn_cublas_check(cublasGemmEx(ctx->cublas, CUBLAS_OP_T, CUBLAS_OP_N, (int)oc, (int)rows,
                                          (int)ic, &one, w, t, (int)ic, tmp[0], t, (int)ic, &zero,
                                          n->out.data, CUDA_R_32F, (int)oc, CUBLAS_COMPUTE_32F,
                                          CUBLAS_GEMM_DEFAULT),
                             n->name);
}

static parn_status forward(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, void **tmp)
{
    const float *x, *w, zero = 0.0f, one = 1.0f;
    int64_t rows = n->out.dims[0], oc = n->out.dims[1], ic = parn_src(g, n, 0)->dims[1];
    PARN_TRY(int_dims(n, rows, oc, ic));
    if (ctx->half) {
        PARN_TRY(gemm_half(ctx, g, n, tmp, rows, oc, ic));
    } else {
        PARN_TRY(matrix(ctx, g, n, 0, &tmp[0], &x));
        PARN_TRY(matrix(ctx, g, n, 1, &tmp[1], &w));
        /* column-major: y^T (OC x N) = (w, stored as IC x OC)^T x^T (IC x N) */
        PARN_BLAS(cublasSgemm(ctx->cublas, CUBLAS_OP_T, CUBLAS_OP_N, (int)oc, (int)rows, (int)ic,
                              &one, w, (int)ic, x, (int)ic, &zero, n->out.data, (int)oc),
                  n->name);
    }
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
