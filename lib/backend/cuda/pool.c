/* SPDX-License-Identifier: MIT */
/* Max and average pooling (2-D, 3-D, global) on cuDNN, forward and backward.
 * cuDNN pads symmetrically. With pad_lo != pad_hi the input is padded explicitly by the
 * difference (with -inf for max pooling, 0 for average) and cuDNN pads the rest; average
 * pooling then counts the explicit padding as data, so cuDNN divides by the whole window
 * (include-padding mode) and, when padding must not count, a per-position factor
 * window / real elements (computed once on the host, as the CPU counts) corrects it. */
#include "cuda.h"

#include <math.h>

typedef struct pool_state {
    parn_cuda_state base;
    parn_backend_ctx *ctx;        /* where scale lives */
    bool ready;
    bool padded;                  /* explicit padding by lo - pad before cuDNN */
    int nd;
    int64_t xp[5], lo[5];         /* the padded input's dims, and where x starts in it */
    cudnnPoolingDescriptor_t pool;
    cudnnTensorDescriptor_t x, y;
    float *scale;                 /* average without padding, padded: window / count per output
                                     position (1 x 1 x spatial), else NULL */
    parn_kview scale_view;
} pool_state;

static void pool_state_destroy(parn_cuda_state *st)
{
    pool_state *s = (pool_state *)st;
    if (s->pool) cudnnDestroyPoolingDescriptor(s->pool);
    if (s->x) cudnnDestroyTensorDescriptor(s->x);
    if (s->y) cudnnDestroyTensorDescriptor(s->y);
    if (s->scale) parn_cuda_free(s->ctx, s->scale);
    parn__free(s);
}

/* Real elements of the window at output position o of one dim. */
static int64_t window_count(int64_t o, const parn_pool_attrs *a, int i, int64_t in)
{
    int64_t start = o * a->stride[i] - a->pad_lo[i], end = start + a->kernel[i];
    if (start < 0) start = 0;
    if (end > in) end = in;
    return end - start;
}

/* The correction of average pooling without padding over an explicitly padded input. */
static parn_status make_scale(parn_backend_ctx *ctx, const parn_node *n, const parn_tensor *x,
                              const parn_tensor *y, pool_state *s)
{
    const parn_pool_attrs *a = &n->attrs.pool;
    parn_tensor t = {.ndim = y->ndim};
    t.dims[0] = t.dims[1] = 1;
    for (int i = 2; i < y->ndim; i++) t.dims[i] = y->dims[i];
    parn_tensor_set_plain(&t);
    int64_t total = parn_tensor_numel(&t), window = 1;
    for (int i = 0; i < a->rank; i++) window *= a->kernel[i];
    float *host = parn__malloc((size_t)total * sizeof(float));
    PARN_RETURN_IF(!host, PARN_E_NOMEM, "%s: out of memory", n->name);
    for (int64_t k = 0; k < total; k++) {
        int64_t count = 1, rest = k;
        for (int i = a->rank - 1; i >= 0; i--) {
            int64_t o = rest % t.dims[2 + i];
            rest /= t.dims[2 + i];
            count *= window_count(o, a, i, x->dims[2 + i]);
        }
        host[k] = count > 0 ? (float)((double)window / (double)count) : 0.0f;
    }
    parn_status st = parn_cuda_alloc_for(ctx, (size_t)total * sizeof(float), n->name, (void **)&s->scale);
    if (st == PARN_OK) st = parn_cuda_upload(ctx, s->scale, host, (size_t)total * sizeof(float));
    parn__free(host);
    s->scale_view = parn_cuda_view(&t);
    return st;
}

static cudnnPoolingMode_t mode_of(const parn_pool_attrs *a, bool padded)
{
    if (a->max) return CUDNN_POOLING_MAX_DETERMINISTIC;
    if (a->count_include_pad || padded) return CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING;
    return CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
}

/* x: the pooled input, y: the pooled output. */
static parn_status prepare(parn_backend_ctx *ctx, parn_node *n, const parn_tensor *x,
                           const parn_tensor *y, pool_state **out)
{
    pool_state *s = parn_cuda_state_of(n, sizeof(pool_state), pool_state_destroy);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "%s: out of memory", n->name);
    *out = s;
    if (s->ready) return PARN_OK;
    const parn_pool_attrs *a = &n->attrs.pool;
    int window[3], pad[3], stride[3];
    s->ctx = ctx;
    s->nd = x->ndim;
    s->xp[0] = x->dims[0];
    s->xp[1] = x->dims[1];
    for (int i = 0; i < a->rank; i++) {
        int lo = a->pad_lo[i], hi = a->pad_hi[i], p = lo < hi ? lo : hi;
        window[i] = a->kernel[i];
        stride[i] = a->stride[i];
        pad[i] = p;
        s->lo[2 + i] = lo - p;
        s->xp[2 + i] = x->dims[2 + i] + (lo - p) + (hi - p);
        s->padded |= lo != hi;
    }
    PARN_DNN(cudnnCreatePoolingDescriptor(&s->pool), n->name);
    PARN_DNN(cudnnSetPoolingNdDescriptor(s->pool, mode_of(a, s->padded), CUDNN_PROPAGATE_NAN,
                                         a->rank, window, pad, stride),
             n->name);
    PARN_TRY(parn_cuda_dims_desc(s->nd, s->xp, &s->x));
    PARN_TRY(parn_cuda_dims_desc(s->nd, y->dims, &s->y));
    if (s->padded && !a->max && !a->count_include_pad) PARN_TRY(make_scale(ctx, n, x, y, s));
    s->ready = true;
    return PARN_OK;
}

/* x (any layout) as cuDNN's plain input: padded into tmp when the node pads explicitly. */
static parn_status input_of(parn_backend_ctx *ctx, const parn_node *n, const pool_state *s,
                            const parn_tensor *x, void **tmp, const float **out)
{
    if (!s->padded) {
        parn_tensor p;
        PARN_TRY(parn_cuda_plain(ctx, x, tmp, &p));
        *out = p.data;
        return PARN_OK;
    }
    parn_tensor p = {.ndim = s->nd};
    for (int i = 0; i < s->nd; i++) p.dims[i] = s->xp[i];
    parn_tensor_set_plain(&p);
    PARN_TRY(parn_cuda_alloc_for(ctx, (size_t)parn_tensor_numel(&p) * sizeof(float), n->name, tmp));
    float value = n->attrs.pool.max ? -INFINITY : 0.0f;
    PARN_CU(parn_k_pad(ctx->stream, *tmp, parn_cuda_view(&p), x->data, parn_cuda_view(x), s->lo,
                       value),
            n->name);
    *out = *tmp;
    return PARN_OK;
}

static parn_status forward(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, void **tmp)
{
    const parn_tensor *x = parn_src(g, n, 0);
    pool_state *s = NULL;
    PARN_TRY(prepare(ctx, n, x, &n->out, &s));
    const float *xp, zero = 0.0f, one = 1.0f;
    PARN_TRY(input_of(ctx, n, s, x, &tmp[0], &xp));
    float *y = n->out.data;
    if (s->scale) PARN_TRY(parn_cuda_alloc_for(ctx, (size_t)parn_tensor_numel(&n->out) * sizeof(float),
                                               n->name, &tmp[1]));
    if (s->scale) y = tmp[1];
    PARN_DNN(cudnnPoolingForward(ctx->cudnn, s->pool, &one, s->x, xp, &zero, s->y, y), n->name);
    if (!s->scale) return PARN_OK;
    parn_kview yv = parn_cuda_view(&n->out);
    return parn_cuda_launched(parn_k_binary(ctx->stream, PARN_K_MUL, n->out.data, yv, y, yv,
                                            s->scale, s->scale_view),
                              n);
}

PARN_CUDA_KERNEL(pool)
{
    void *tmp[2] = {NULL, NULL};
    parn_status st = forward(ctx, g, n, tmp);
    parn_cuda_free(ctx, tmp[0]);
    parn_cuda_free(ctx, tmp[1]);
    return st;
}

/* srcs dy, x, y (the POOL node). */
static parn_status backward(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, void **tmp)
{
    const parn_tensor *dy = parn_src(g, n, 0), *x = parn_src(g, n, 1), *y = parn_src(g, n, 2);
    pool_state *s = NULL;
    PARN_TRY(prepare(ctx, n, x, dy, &s));
    const float *xp, *dyp, *yp, zero = 0.0f, one = 1.0f;
    PARN_TRY(input_of(ctx, n, s, x, &tmp[0], &xp));
    parn_tensor t;
    PARN_TRY(parn_cuda_plain(ctx, dy, &tmp[1], &t));
    dyp = t.data;
    PARN_TRY(parn_cuda_plain(ctx, y, &tmp[2], &t));
    yp = t.data;
    size_t dy_bytes = (size_t)parn_tensor_numel(dy) * sizeof(float);
    if (s->scale) {
        /* the forward's correction scales the gradient alike */
        PARN_TRY(parn_cuda_alloc_for(ctx, dy_bytes, n->name, &tmp[3]));
        parn_tensor plain = *dy;
        parn_tensor_set_plain(&plain);
        parn_kview v = parn_cuda_view(&plain);
        PARN_CU(parn_k_binary(ctx->stream, PARN_K_MUL, tmp[3], v, dyp, v, s->scale, s->scale_view),
                n->name);
        dyp = tmp[3];
    }
    float *dx = n->out.data;
    if (s->padded) {
        size_t bytes = sizeof(float);
        for (int i = 0; i < s->nd; i++) bytes *= (size_t)s->xp[i];
        PARN_TRY(parn_cuda_alloc_for(ctx, bytes, n->name, &tmp[4]));
        dx = tmp[4];
    }
    PARN_DNN(cudnnPoolingBackward(ctx->cudnn, s->pool, &one, s->y, yp, s->y, dyp, s->x, xp, &zero,
                                  s->x, dx),
             n->name);
    if (!s->padded) return PARN_OK;
    parn_tensor p = {.ndim = s->nd};
    for (int i = 0; i < s->nd; i++) p.dims[i] = s->xp[i];
    parn_tensor_set_plain(&p);
    return parn_cuda_launched(parn_k_slice(ctx->stream, n->out.data, parn_cuda_view(&n->out), dx,
                                           parn_cuda_view(&p), s->lo),
                              n);
}

PARN_CUDA_KERNEL(pool_bwd)
{
    void *tmp[5] = {NULL, NULL, NULL, NULL, NULL};
    parn_status st = backward(ctx, g, n, tmp);
    for (int i = 0; i < 5; i++) parn_cuda_free(ctx, tmp[i]);
    return st;
}
