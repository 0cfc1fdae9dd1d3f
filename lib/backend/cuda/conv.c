/* SPDX-License-Identifier: MIT */
/* Convolution and transposed convolution on cuDNN: forward, backward data, backward filter.
 *
 * Every node poses one cuDNN convolution X -> Y with filter W. For a convolution X is its
 * input and Y its output; a transposed convolution is the adjoint, so X is its output, Y its
 * input, and PyTorch's IC x OC/G weights are already cuDNN's K x C/G filter. The six ops map
 * onto three cuDNN passes:
 *   forward         conv, deconv backward data      Y = conv(X)
 *   backward data   conv backward data, deconv      X = conv^T(Y)
 *   backward filter both backward weights           W = from X and Y
 * cuDNN pads symmetrically. Where the graph's padding is not (TF "SAME"), or a transposed
 * output does not follow from cuDNN's own output size (out_pad past the stride), cuDNN works
 * on a padded X' instead: a convolution's x sits inside X' at offset pad_lo - pad, a
 * transposed output is the window of X' (computed without padding) at offset pad_lo, with
 * zeros where the window passes X'. Kernels copy between the two.
 * The algorithm of each pass is found once per problem with cudnnFind (benchmarks) and kept in
 * the session's context, so graphs that pose the same problem reuse it. Math: fp32 FMA unless
 * the session asked for TF32, so that results match the CPU.
 *
 * Precision "fp16"/"bf16": the two inference passes (conv forward, deconv forward) run on
 * tensor cores with fp32 accumulation (cuDNN's PSEUDO_HALF / PSEUDO_BFLOAT16 configurations).
 * X (or Y for a deconv) is converted into a half buffer, the weights once per upload (cached in
 * the node's state, keyed by device pointer, upload stamp and version), and the half result
 * back into the graph's fp32 output: every other op stays fp32, at the cost of one conversion
 * in and one out per convolution (a half-storage engine would remove both; future work).
 * Half tensors are channels-last (NHWC / NDHWC, filters KRSC) when the convolution is
 * ungrouped and both channel counts are multiples of 8: cuDNN's half tensor-core kernels are
 * written for that layout (with NCHW it adds transposes of its own or picks slower kernels),
 * and our conversion changes the layout in the same pass. Otherwise (e.g. a first layer's 3
 * channels, which channels-last tensor cores would pad to 8) they stay NCHW.
 * PARN_CUDA_HALF_LAYOUT=nchw|nhwc forces one layout, for benchmarks. The backward passes
 * always run in fp32 (training needs an fp32 session). */
#include "cuda.h"

#include <string.h>

/* Workspace beyond this is not worth an algorithm's speed. */
#define WORKSPACE_LIMIT ((size_t)1 << 30)

typedef enum conv_pass { PASS_FWD, PASS_BWD_DATA, PASS_BWD_FILTER } conv_pass;

/* The geometry of a node's cuDNN convolution (dims as N, C, spatial...). */
typedef struct conv_geom {
    int nd;                 /* 4 or 5 */
    int64_t xr[5];          /* X as the graph has it */
    int64_t xp[5];          /* X as cuDNN sees it */
    int64_t off[5];         /* xr[j] is xp[j + off] */
    int pad[3], stride[3], dilation[3];
    bool padded;            /* xp is not xr */
} conv_geom;

/* The key of the algorithm cache. */
typedef struct conv_key {
    int pass, nd, groups, math, half, nhwc;
    int xp[5], y[5], w[5];
    int pad[3], stride[3], dilation[3];
} conv_key;

typedef struct conv_state {
    parn_cuda_state base;
    bool ready;
    conv_geom geom;
    cudnnTensorDescriptor_t x, y, bias;
    cudnnTensorDescriptor_t out;    /* with a bias: the graph's output (Y, or X as the graph has it) */
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    int algo;
    size_t workspace;
    int half;                   /* 0, or the PARN_K_* type of x, w and y (the descriptors') */
    bool nhwc;                  /* the half tensors are channels-last */
    parn_backend_ctx *ctx;
    parn_cuda_half_cache hw;    /* the half weights */
} conv_state;

static void conv_state_destroy(parn_cuda_state *st)
{
    conv_state *s = (conv_state *)st;
    if (s->x) cudnnDestroyTensorDescriptor(s->x);
    if (s->y) cudnnDestroyTensorDescriptor(s->y);
    if (s->bias) cudnnDestroyTensorDescriptor(s->bias);
    if (s->out) cudnnDestroyTensorDescriptor(s->out);
    if (s->w) cudnnDestroyFilterDescriptor(s->w);
    if (s->conv) cudnnDestroyConvolutionDescriptor(s->conv);
    if (s->hw.data) parn_cuda_free(s->ctx, s->hw.data);
    parn__free(s);
}

static bool is_transposed(parn_op_type op)
{
    return op == PARN_OP_DECONV || op == PARN_OP_DECONV_BWD_DATA ||
           op == PARN_OP_DECONV_BWD_WEIGHTS;
}

static conv_pass pass_of(parn_op_type op)
{
    switch (op) {
    case PARN_OP_CONV:
    case PARN_OP_DECONV_BWD_DATA: return PASS_FWD;
    case PARN_OP_CONV_BWD_DATA:
    case PARN_OP_DECONV: return PASS_BWD_DATA;
    default: return PASS_BWD_FILTER;
    }
}

/* The node's tensors in cuDNN's roles: X as the graph has it, Y and W. */
typedef struct conv_io {
    const parn_tensor *xr, *y, *w;
} conv_io;

static conv_io io_of(parn_graph *g, parn_node *n)
{
    const parn_tensor *s0 = parn_src(g, n, 0), *s1 = parn_src(g, n, 1), *out = &n->out;
    switch (n->op) {
    case PARN_OP_CONV: return (conv_io){s0, out, s1};
    case PARN_OP_CONV_BWD_DATA: return (conv_io){out, s0, s1};
    case PARN_OP_CONV_BWD_WEIGHTS: return (conv_io){s1, s0, out};
    case PARN_OP_DECONV: return (conv_io){out, s0, s1};
    case PARN_OP_DECONV_BWD_DATA: return (conv_io){s0, out, s1};
    default: return (conv_io){s0, s1, out}; /* DECONV_BWD_WEIGHTS */
    }
}

static conv_geom geom_of(const parn_node *n, const conv_io *io)
{
    const parn_conv_attrs *a = &n->attrs.conv;
    conv_geom g = {.nd = a->rank + 2};
    for (int i = 0; i < 2; i++) g.xr[i] = g.xp[i] = io->xr->dims[i];
    for (int i = 0; i < a->rank; i++) {
        int64_t xr = io->xr->dims[2 + i], y = io->y->dims[2 + i], k = io->w->dims[2 + i];
        int lo = a->pad_lo[i], hi = a->pad_hi[i], s = a->stride[i], d = a->dilation[i];
        int64_t span = (int64_t)d * (k - 1) + 1;
        g.stride[i] = s;
        g.dilation[i] = d;
        g.xr[2 + i] = xr;
        if (!is_transposed(n->op)) {
            int p = lo < hi ? lo : hi;
            g.pad[i] = p;
            g.off[2 + i] = lo - p;
            g.xp[2 + i] = xr + (lo - p) + (hi - p);
        } else if (lo == hi && xr + 2 * lo >= span && (xr + 2 * lo - span) / s + 1 == y) {
            g.pad[i] = lo; /* cuDNN's own output size */
            g.xp[2 + i] = xr;
        } else {
            g.pad[i] = 0; /* the whole output without padding, then the window */
            g.off[2 + i] = lo;
            g.xp[2 + i] = (y - 1) * s + span;
        }
        g.padded |= g.xp[2 + i] != xr || g.off[2 + i] != 0;
    }
    return g;
}

static cudnnMathType_t math_of(const parn_backend_ctx *ctx, const conv_state *s)
{
    if (s->half) return CUDNN_TENSOR_OP_MATH;
    return ctx->tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
}

/* The half type of the node's pass (0: fp32): only the forward passes of inference. */
static int half_of(const parn_backend_ctx *ctx, const parn_node *n)
{
    return n->op == PARN_OP_CONV || n->op == PARN_OP_DECONV ? ctx->half : 0;
}

/* Channels-last half tensors where cuDNN's tensor cores take them as they are (see above). */
static bool nhwc_of(const parn_backend_ctx *ctx, const parn_node *n, const conv_io *io)
{
    if (ctx->half_layout) return ctx->half_layout == 2;
    return n->attrs.conv.groups == 1 && io->xr->dims[1] % 8 == 0 && io->y->dims[1] % 8 == 0;
}

/* A packed descriptor of x, w or y's dims in the state's type and layout. */
static parn_status data_desc(const conv_state *s, int nd, const int64_t *dims,
                             cudnnTensorDescriptor_t *out)
{
    if (!s->half) return parn_cuda_dims_desc(nd, dims, out);
    int d[5];
    for (int i = 0; i < nd; i++) d[i] = (int)dims[i];
    PARN_DNN(cudnnCreateTensorDescriptor(out), "cuDNN tensor");
    return parn_cudnn_check(cudnnSetTensorNdDescriptorEx(*out, s->nhwc ? CUDNN_TENSOR_NHWC
                                                                       : CUDNN_TENSOR_NCHW,
                                                         s->half == PARN_K_F16 ? CUDNN_DATA_HALF
                                                                               : CUDNN_DATA_BFLOAT16,
                                                         nd, d),
                            "cuDNN tensor");
}

static parn_status make_descriptors(parn_backend_ctx *ctx, const parn_node *n, const conv_io *io,
                                    conv_state *s)
{
    const conv_geom *gm = &s->geom;
    const parn_conv_attrs *a = &n->attrs.conv;
    PARN_TRY(data_desc(s, gm->nd, gm->xp, &s->x));
    PARN_TRY(data_desc(s, gm->nd, io->y->dims, &s->y));
    int wd[5];
    for (int i = 0; i < gm->nd; i++) wd[i] = (int)io->w->dims[i];
    cudnnDataType_t wt = !s->half ? CUDNN_DATA_FLOAT
                         : s->half == PARN_K_F16 ? CUDNN_DATA_HALF : CUDNN_DATA_BFLOAT16;
    PARN_DNN(cudnnCreateFilterDescriptor(&s->w), n->name);
    PARN_DNN(cudnnSetFilterNdDescriptor(s->w, wt, s->nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW,
                                        gm->nd, wd),
             n->name);
    PARN_DNN(cudnnCreateConvolutionDescriptor(&s->conv), n->name);
    PARN_DNN(cudnnSetConvolutionNdDescriptor(s->conv, a->rank, gm->pad, gm->stride, gm->dilation,
                                             CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
             n->name);
    PARN_DNN(cudnnSetConvolutionGroupCount(s->conv, a->groups), n->name);
    PARN_DNN(cudnnSetConvolutionMathType(s->conv, math_of(ctx, s)), n->name);
    if (a->has_bias) {
        int64_t bd[5] = {1, 1, 1, 1, 1};
        bd[1] = is_transposed(n->op) ? io->xr->dims[1] : io->y->dims[1];
        PARN_TRY(parn_cuda_dims_desc(gm->nd, bd, &s->bias));
        PARN_TRY(parn_cuda_dims_desc(gm->nd, is_transposed(n->op) ? gm->xr : io->y->dims, &s->out));
    }
    return PARN_OK;
}

static conv_key key_of(const parn_backend_ctx *ctx, const parn_node *n, const conv_io *io,
                       const conv_state *s)
{
    const conv_geom *gm = &s->geom;
    conv_key k;
    memset(&k, 0, sizeof k); /* padding bytes too: the key is compared with memcmp */
    k.pass = pass_of(n->op);
    k.nd = gm->nd;
    k.groups = n->attrs.conv.groups;
    k.math = math_of(ctx, s);
    k.half = s->half;
    k.nhwc = s->nhwc;
    for (int i = 0; i < gm->nd; i++) {
        k.xp[i] = (int)gm->xp[i];
        k.y[i] = (int)io->y->dims[i];
        k.w[i] = (int)io->w->dims[i];
    }
    for (int i = 0; i < 3; i++) {
        k.pad[i] = gm->pad[i];
        k.stride[i] = gm->stride[i];
        k.dilation[i] = gm->dilation[i];
    }
    return k;
}

_Static_assert(sizeof(conv_key) <= sizeof(((parn_cuda_algo *)0)->key), "conv_key too large");

static const parn_cuda_algo *cached_algo(const parn_backend_ctx *ctx, const conv_key *k)
{
    for (int i = 0; i < ctx->n_algos; i++)
        if (memcmp(ctx->algos[i].key, k, sizeof *k) == 0) return &ctx->algos[i];
    return NULL;
}

static parn_status remember_algo(parn_backend_ctx *ctx, const conv_key *k, const parn_cuda_algo *a)
{
    if (ctx->n_algos == ctx->cap_algos) {
        int cap = ctx->cap_algos ? 2 * ctx->cap_algos : 32;
        parn_cuda_algo *algos = parn__realloc(ctx->algos, (size_t)cap * sizeof *algos);
        PARN_RETURN_IF(!algos, PARN_E_NOMEM, "conv: out of memory");
        ctx->algos = algos;
        ctx->cap_algos = cap;
    }
    parn_cuda_algo *slot = &ctx->algos[ctx->n_algos++];
    *slot = *a;
    memset(slot->key, 0, sizeof slot->key);
    memcpy(slot->key, k, sizeof *k);
    return PARN_OK;
}

/* cuDNN's perf results share their first fields' meaning; this picks the fastest usable one
 * (results come sorted by time). */
#define PICK_ALGO(results, count, out)                                                         \
    do {                                                                                       \
        for (int i_ = 0; i_ < (count); i_++)                                                   \
            if ((results)[i_].status == CUDNN_STATUS_SUCCESS &&                                \
                (results)[i_].memory <= WORKSPACE_LIMIT) {                                     \
                (out)->algo = (int)(results)[i_].algo;                                         \
                (out)->workspace = (results)[i_].memory;                                       \
                (out)->math = (results)[i_].mathType;                                          \
                found = true;                                                                  \
                break;                                                                         \
            }                                                                                  \
    } while (0)

/* Benchmarks the pass's algorithms (cudnnFind; cuDNN's heuristics when that fails, e.g. short
 * of memory for the trials) and picks the fastest within the workspace limit. */
static parn_status find_algo(parn_backend_ctx *ctx, const parn_node *n, conv_state *s,
                             parn_cuda_algo *out)
{
    enum { MAX_ALGOS = 16 };
    int count = 0;
    bool found = false;
    cudnnStatus_t r;
    switch (pass_of(n->op)) {
    case PASS_FWD: {
        cudnnConvolutionFwdAlgoPerf_t res[MAX_ALGOS];
        r = cudnnFindConvolutionForwardAlgorithm(ctx->cudnn, s->x, s->w, s->conv, s->y, MAX_ALGOS,
                                                 &count, res);
        if (r != CUDNN_STATUS_SUCCESS)
            r = cudnnGetConvolutionForwardAlgorithm_v7(ctx->cudnn, s->x, s->w, s->conv, s->y,
                                                       MAX_ALGOS, &count, res);
        if (r == CUDNN_STATUS_SUCCESS) PICK_ALGO(res, count, out);
        break;
    }
    case PASS_BWD_DATA: {
        cudnnConvolutionBwdDataAlgoPerf_t res[MAX_ALGOS];
        r = cudnnFindConvolutionBackwardDataAlgorithm(ctx->cudnn, s->w, s->y, s->conv, s->x,
                                                      MAX_ALGOS, &count, res);
        if (r != CUDNN_STATUS_SUCCESS)
            r = cudnnGetConvolutionBackwardDataAlgorithm_v7(ctx->cudnn, s->w, s->y, s->conv, s->x,
                                                            MAX_ALGOS, &count, res);
        if (r == CUDNN_STATUS_SUCCESS) PICK_ALGO(res, count, out);
        break;
    }
    default: {
        cudnnConvolutionBwdFilterAlgoPerf_t res[MAX_ALGOS];
        r = cudnnFindConvolutionBackwardFilterAlgorithm(ctx->cudnn, s->x, s->y, s->conv, s->w,
                                                        MAX_ALGOS, &count, res);
        if (r != CUDNN_STATUS_SUCCESS)
            r = cudnnGetConvolutionBackwardFilterAlgorithm_v7(ctx->cudnn, s->x, s->y, s->conv,
                                                              s->w, MAX_ALGOS, &count, res);
        if (r == CUDNN_STATUS_SUCCESS) PICK_ALGO(res, count, out);
        break;
    }
    }
    PARN_TRY(parn_cudnn_check(r, n->name));
    PARN_RETURN_IF(!found, PARN_E_UNSUPPORTED,
                   "%s: cuDNN has no algorithm for this convolution within %zu MiB of workspace",
                   n->name, WORKSPACE_LIMIT >> 20);
    return PARN_OK;
}

/* Descriptors and algorithm, on a node's first run. */
static parn_status prepare(parn_backend_ctx *ctx, parn_node *n, const conv_io *io, conv_state **out)
{
    conv_state *s = parn_cuda_state_of(n, sizeof(conv_state), conv_state_destroy);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "%s: out of memory", n->name);
    *out = s;
    if (s->ready) return PARN_OK;
    for (int i = 0; i < io->w->ndim; i++)
        PARN_RETURN_IF(io->xr->dims[i] > INT32_MAX || io->y->dims[i] > INT32_MAX,
                       PARN_E_UNSUPPORTED, "%s: a dim does not fit cuDNN's 32 bits", n->name);
    s->geom = geom_of(n, io);
    s->ctx = ctx;
    s->half = half_of(ctx, n);
    s->nhwc = s->half && nhwc_of(ctx, n, io);
    PARN_TRY(make_descriptors(ctx, n, io, s));
    conv_key k = key_of(ctx, n, io, s);
    const parn_cuda_algo *cached = cached_algo(ctx, &k);
    parn_cuda_algo found;
    if (!cached) {
        PARN_TRY(find_algo(ctx, n, s, &found));
        PARN_TRY(remember_algo(ctx, &k, &found));
        cached = &found;
    }
    s->algo = cached->algo;
    s->workspace = cached->workspace;
    PARN_DNN(cudnnSetConvolutionMathType(s->conv, cached->math), n->name);
    s->ready = true;
    return PARN_OK;
}

/* ---- between X and X' ---------------------------------------------------------------------------- */

/* Copies between the graph's X (xr) and cuDNN's X' (xp) over the box they share; the
 * destination's other elements become 0. to_padded: xr -> xp, else xp -> xr. */
static parn_status move_x(parn_backend_ctx *ctx, const conv_geom *gm, float *xr, float *xp,
                          bool to_padded, const char *what)
{
    parn_tensor r = {.ndim = gm->nd}, p = {.ndim = gm->nd};
    for (int i = 0; i < gm->nd; i++) {
        r.dims[i] = gm->xr[i];
        p.dims[i] = gm->xp[i];
    }
    parn_tensor_set_plain(&r);
    parn_tensor_set_plain(&p);
    parn_kview box_r = parn_cuda_view(&r), box_p = parn_cuda_view(&p);
    bool covers_dst = true, empty = false;
    int64_t offset = 0;
    for (int i = 0; i < gm->nd; i++) {
        int64_t n = gm->xp[i] - gm->off[i] < gm->xr[i] ? gm->xp[i] - gm->off[i] : gm->xr[i];
        empty |= n <= 0;
        box_r.dims[i] = box_p.dims[i] = n;
        offset += gm->off[i] * p.strides[i];
        covers_dst &= to_padded ? gm->off[i] == 0 && n == gm->xp[i] : n == gm->xr[i];
    }
    float *dst = to_padded ? xp : xr;
    if (!covers_dst)
        PARN_CU(parn_k_fill(ctx->stream, dst, parn_cuda_view(to_padded ? &p : &r), 0.0f), what);
    if (empty) return PARN_OK;
    if (to_padded) return parn_cuda_check(parn_k_copy(ctx->stream, xp + offset, box_p, xr, box_r), what);
    return parn_cuda_check(parn_k_copy(ctx->stream, xr, box_r, xp + offset, box_p), what);
}

static size_t xp_bytes(const conv_geom *gm)
{
    size_t n = sizeof(float);
    for (int i = 0; i < gm->nd; i++) n *= (size_t)gm->xp[i];
    return n;
}

/* src plain (a copy in *tmp when it is not), for cuDNN's packed descriptors. */
static parn_status plain_src(parn_backend_ctx *ctx, const parn_tensor *t, void **tmp, const float **out)
{
    parn_tensor p;
    PARN_TRY(parn_cuda_plain(ctx, t, tmp, &p));
    *out = p.data;
    return PARN_OK;
}

/* Adds the bias (src 2) to the output of a forward node. */
static parn_status add_bias(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, conv_state *s)
{
    if (!n->attrs.conv.has_bias) return PARN_OK;
    const float one = 1.0f;
    const float *b;
    void *tmp = NULL;
    PARN_TRY(plain_src(ctx, parn_src(g, n, 2), &tmp, &b));
    cudnnStatus_t r = cudnnAddTensor(ctx->cudnn, &one, s->bias, b, &one, s->out, n->out.data);
    parn_cuda_free(ctx, tmp);
    return parn_cudnn_check(r, n->name);
}

/* ---- fp16 / bf16 (inference) --------------------------------------------------------------------- */

/* A dense half tensor of dims in the state's layout (data NULL: the caller allocates). */
static parn_tensor half_tensor(const conv_state *s, int nd, const int64_t *dims)
{
    parn_tensor t = {.ndim = nd};
    for (int i = 0; i < nd; i++) t.dims[i] = dims[i];
    if (s->nhwc)
        parn_tensor_set_channels_last(&t);
    else
        parn_tensor_set_plain(&t);
    return t;
}

/* src (fp32, any strides) converted into a new half buffer *tmp in the state's layout. */
static parn_status to_half(parn_backend_ctx *ctx, const parn_node *n, const conv_state *s,
                           const parn_tensor *src, void **tmp)
{
    parn_tensor h = half_tensor(s, src->ndim, src->dims);
    PARN_TRY(parn_cuda_alloc_for(ctx, (size_t)parn_tensor_numel(src) * 2, n->name, tmp));
    return parn_cuda_launched(parn_k_to_half(ctx->stream, s->half, *tmp, parn_cuda_view(&h),
                                             src->data, parn_cuda_view(src)),
                              n);
}

/* The half result (state's layout, dims of dst) into dst (fp32, any strides). */
static parn_status from_half(parn_backend_ctx *ctx, const parn_node *n, const conv_state *s,
                             const void *half, const parn_tensor *dst)
{
    parn_tensor h = half_tensor(s, dst->ndim, dst->dims);
    return parn_cuda_launched(parn_k_from_half(ctx->stream, s->half, dst->data, parn_cuda_view(dst),
                                               half, parn_cuda_view(&h)),
                              n);
}

/* The weights (src 1 of both half ops) in half, in the state's layout (kept across runs). */
static parn_status half_weights(parn_backend_ctx *ctx, parn_graph *g, parn_node *n, conv_state *s,
                                const parn_tensor *w, void **tmp, const void **out)
{
    parn_tensor layout = half_tensor(s, w->ndim, w->dims);
    return parn_cuda_half_weights(ctx, g, n, 1, &layout, &s->hw, tmp, out);
}

/* X as cuDNN sees it, in half: the graph's X converted directly, or through X' (fp32) when
 * padded. tmp[0], tmp[2] and tmp[3] are the temporaries. */
static parn_status half_x(parn_backend_ctx *ctx, parn_node *n, const conv_state *s,
                          const conv_io *io, void **tmp)
{
    const conv_geom *gm = &s->geom;
    if (!gm->padded) return to_half(ctx, n, s, io->xr, &tmp[3]);
    const float *x;
    PARN_TRY(plain_src(ctx, io->xr, &tmp[0], &x));
    PARN_TRY(parn_cuda_alloc_for(ctx, xp_bytes(gm), n->name, &tmp[2]));
    PARN_TRY(move_x(ctx, gm, (float *)x, tmp[2], true, n->name));
    parn_tensor xp = {.ndim = gm->nd, .data = tmp[2]};
    for (int i = 0; i < gm->nd; i++) xp.dims[i] = gm->xp[i];
    parn_tensor_set_plain(&xp);
    return to_half(ctx, n, s, &xp, &tmp[3]);
}

/* Y = conv(X) in half (conv forward). */
static parn_status run_forward_half(parn_backend_ctx *ctx, parn_graph *g, parn_node *n,
                                    conv_state *s, const conv_io *io, void **tmp)
{
    const void *w = NULL;
    const float zero = 0.0f, one = 1.0f; /* PSEUDO_HALF: fp32 scaling factors */
    PARN_TRY(half_x(ctx, n, s, io, tmp));
    PARN_TRY(half_weights(ctx, g, n, s, io->w, &tmp[1], &w));
    PARN_TRY(parn_cuda_alloc_for(ctx, (size_t)parn_tensor_numel(io->y) * 2, n->name, &tmp[4]));
    void *ws = NULL;
    if (s->workspace) PARN_TRY(parn_cuda_workspace(ctx, s->workspace, &ws));
    PARN_DNN(cudnnConvolutionForward(ctx->cudnn, &one, s->x, tmp[3], s->w, w, s->conv,
                                     (cudnnConvolutionFwdAlgo_t)s->algo, ws, s->workspace, &zero,
                                     s->y, tmp[4]),
             n->name);
    return from_half(ctx, n, s, tmp[4], io->y);
}

/* X = conv^T(Y) in half (deconv forward): through X' (fp32) when padded. */
static parn_status run_backward_data_half(parn_backend_ctx *ctx, parn_graph *g, parn_node *n,
                                          conv_state *s, const conv_io *io, void **tmp)
{
    const conv_geom *gm = &s->geom;
    const void *w = NULL;
    const float zero = 0.0f, one = 1.0f;
    PARN_TRY(to_half(ctx, n, s, io->y, &tmp[3]));
    PARN_TRY(half_weights(ctx, g, n, s, io->w, &tmp[1], &w));
    size_t xp_n = xp_bytes(gm) / sizeof(float);
    PARN_TRY(parn_cuda_alloc_for(ctx, xp_n * 2, n->name, &tmp[4]));
    void *ws = NULL;
    if (s->workspace) PARN_TRY(parn_cuda_workspace(ctx, s->workspace, &ws));
    PARN_DNN(cudnnConvolutionBackwardData(ctx->cudnn, &one, s->w, w, s->y, tmp[3], s->conv,
                                          (cudnnConvolutionBwdDataAlgo_t)s->algo, ws, s->workspace,
                                          &zero, s->x, tmp[4]),
             n->name);
    if (!gm->padded) return from_half(ctx, n, s, tmp[4], io->xr);
    parn_tensor xp = {.ndim = gm->nd};
    for (int i = 0; i < gm->nd; i++) xp.dims[i] = gm->xp[i];
    parn_tensor_set_plain(&xp);
    PARN_TRY(parn_cuda_alloc_for(ctx, xp_bytes(gm), n->name, &tmp[2]));
    xp.data = tmp[2];
    PARN_TRY(from_half(ctx, n, s, tmp[4], &xp));
    return move_x(ctx, gm, io->xr->data, tmp[2], false, n->name);
}

/* ---- the passes -------------------------------------------------------------------------------- */

/* Y = conv(X): conv forward and deconv backward data. */
static parn_status run_forward(parn_backend_ctx *ctx, parn_node *n, conv_state *s,
                               const conv_io *io, void **tmp)
{
    const conv_geom *gm = &s->geom;
    const float *x, *w, zero = 0.0f, one = 1.0f;
    PARN_TRY(plain_src(ctx, io->xr, &tmp[0], &x));
    PARN_TRY(plain_src(ctx, io->w, &tmp[1], &w));
    if (gm->padded) {
        PARN_TRY(parn_cuda_alloc_for(ctx, xp_bytes(gm), n->name, &tmp[2]));
        PARN_TRY(move_x(ctx, gm, (float *)x, tmp[2], true, n->name));
        x = tmp[2];
    }
    void *ws = NULL;
    if (s->workspace) PARN_TRY(parn_cuda_workspace(ctx, s->workspace, &ws));
    return parn_cudnn_check(cudnnConvolutionForward(ctx->cudnn, &one, s->x, x, s->w, w, s->conv,
                                                    (cudnnConvolutionFwdAlgo_t)s->algo, ws,
                                                    s->workspace, &zero, s->y, io->y->data),
                            n->name);
}

/* X = conv^T(Y): conv backward data and deconv forward. */
static parn_status run_backward_data(parn_backend_ctx *ctx, parn_node *n, conv_state *s,
                                     const conv_io *io, void **tmp)
{
    const conv_geom *gm = &s->geom;
    const float *y, *w, zero = 0.0f, one = 1.0f;
    PARN_TRY(plain_src(ctx, io->y, &tmp[0], &y));
    PARN_TRY(plain_src(ctx, io->w, &tmp[1], &w));
    float *x = io->xr->data;
    if (gm->padded) {
        PARN_TRY(parn_cuda_alloc_for(ctx, xp_bytes(gm), n->name, &tmp[2]));
        x = tmp[2];
    }
    void *ws = NULL;
    if (s->workspace) PARN_TRY(parn_cuda_workspace(ctx, s->workspace, &ws));
    PARN_DNN(cudnnConvolutionBackwardData(ctx->cudnn, &one, s->w, w, s->y, y, s->conv,
                                          (cudnnConvolutionBwdDataAlgo_t)s->algo, ws, s->workspace,
                                          &zero, s->x, x),
             n->name);
    return gm->padded ? move_x(ctx, gm, io->xr->data, x, false, n->name) : PARN_OK;
}

/* W from X and Y, and the bias gradient (side 0) from the output's gradient (src 0: Y for a
 * convolution, X as the graph has it for a transposed one). */
static parn_status run_backward_filter(parn_backend_ctx *ctx, parn_node *n, conv_state *s,
                                       const conv_io *io, void **tmp)
{
    const conv_geom *gm = &s->geom;
    const float *x, *y, zero = 0.0f, one = 1.0f;
    PARN_TRY(plain_src(ctx, io->xr, &tmp[0], &x));
    PARN_TRY(plain_src(ctx, io->y, &tmp[1], &y));
    const float *dout = is_transposed(n->op) ? x : y;
    if (gm->padded) {
        PARN_TRY(parn_cuda_alloc_for(ctx, xp_bytes(gm), n->name, &tmp[2]));
        PARN_TRY(move_x(ctx, gm, (float *)x, tmp[2], true, n->name));
        x = tmp[2];
    }
    void *ws = NULL;
    if (s->workspace) PARN_TRY(parn_cuda_workspace(ctx, s->workspace, &ws));
    PARN_DNN(cudnnConvolutionBackwardFilter(ctx->cudnn, &one, s->x, x, s->y, y, s->conv,
                                            (cudnnConvolutionBwdFilterAlgo_t)s->algo, ws,
                                            s->workspace, &zero, s->w, n->out.data),
             n->name);
    if (!n->attrs.conv.has_bias) return PARN_OK;
    PARN_DNN(cudnnConvolutionBackwardBias(ctx->cudnn, &one, s->out, dout, &zero, s->bias,
                                          n->side[0].data),
             n->name);
    return PARN_OK;
}

/* Runs node n's pass; the temporaries go back to the cache whatever happens. */
static parn_status run(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    conv_io io = io_of(g, n);
    conv_state *s = NULL;
    PARN_TRY(prepare(ctx, n, &io, &s));
    void *tmp[5] = {NULL, NULL, NULL, NULL, NULL};
    parn_status st;
    if (s->half && pass_of(n->op) == PASS_FWD)
        st = run_forward_half(ctx, g, n, s, &io, tmp);
    else if (s->half)
        st = run_backward_data_half(ctx, g, n, s, &io, tmp);
    else if (pass_of(n->op) == PASS_FWD)
        st = run_forward(ctx, n, s, &io, tmp);
    else if (pass_of(n->op) == PASS_BWD_DATA)
        st = run_backward_data(ctx, n, s, &io, tmp);
    else
        st = run_backward_filter(ctx, n, s, &io, tmp);
    for (int i = 0; i < 5; i++) parn_cuda_free(ctx, tmp[i]);
    if (st == PARN_OK && (n->op == PARN_OP_CONV || n->op == PARN_OP_DECONV))
        st = add_bias(ctx, g, n, s);
    return st;
}

/* Every convolution node, forward and backward, plain and transposed: the op picks the pass. */
PARN_CUDA_KERNEL(conv)
{
    return run(ctx, g, n);
}
