/* SPDX-License-Identifier: MIT */
/* The session's device context: device checks, one stream with cuDNN and cuBLAS bound to it,
 * the caching allocator, pinned staging for copies, statuses, and the helpers every op uses. */
#include "cuda.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Staging beyond this size would pin too much host memory: larger copies go in chunks
 * (downloads) or straight from pageable memory (uploads). */
#define STAGE_MAX ((size_t)64 << 20)

/* ---- statuses -------------------------------------------------------------------------------- */

parn_status parn_cuda_check(cudaError_t e, const char *what)
{
    switch (e) {
    case cudaSuccess: return PARN_OK;
    case cudaErrorMemoryAllocation:
        return parn__fail(PARN_E_NOMEM, "%s: the GPU is out of memory", what);
    case cudaErrorNoDevice: return parn__fail(PARN_E_DEVICE, "%s: no CUDA device", what);
    case cudaErrorInsufficientDriver:
        return parn__fail(PARN_E_DEVICE, "%s: no CUDA driver, or one older than CUDA %d.%d", what,
                          CUDART_VERSION / 1000, CUDART_VERSION % 1000 / 10);
    case cudaErrorInvalidValue:
        return parn__fail(PARN_E_BACKEND, "%s: a CUDA call got an invalid argument (%s)", what,
                          cudaGetErrorString(e));
    default:
        return parn__fail(PARN_E_BACKEND, "%s: CUDA error %d (%s: %s)", what, (int)e,
                          cudaGetErrorName(e), cudaGetErrorString(e));
    }
}

parn_status parn_cudnn_check(cudnnStatus_t s, const char *what)
{
    if (s == CUDNN_STATUS_SUCCESS) return PARN_OK;
    if (s == CUDNN_STATUS_ALLOC_FAILED)
        return parn__fail(PARN_E_NOMEM, "%s: cuDNN is out of memory", what);
    if (s == CUDNN_STATUS_NOT_SUPPORTED)
        return parn__fail(PARN_E_UNSUPPORTED, "%s: cuDNN has no implementation for this case", what);
    return parn__fail(PARN_E_BACKEND, "%s: cuDNN error %d (%s)", what, (int)s,
                      cudnnGetErrorString(s));
}

parn_status parn_cublas_check(cublasStatus_t s, const char *what)
{
    if (s == CUBLAS_STATUS_SUCCESS) return PARN_OK;
    if (s == CUBLAS_STATUS_ALLOC_FAILED)
        return parn__fail(PARN_E_NOMEM, "%s: cuBLAS is out of memory", what);
    return parn__fail(PARN_E_BACKEND, "%s: cuBLAS error %d (%s)", what, (int)s,
                      cublasGetStatusString(s));
}

/* ---- devices ----------------------------------------------------------------------------------- */

parn_status parn_cuda_device_count(int *count)
{
    *count = 0;
    cudaError_t e = cudaGetDeviceCount(count);
    cudaGetLastError(); /* so that the failure does not come back from a later call */
    if (e == cudaSuccess) return PARN_OK;
    *count = 0;
    if (e == cudaErrorNoDevice) return PARN_OK;
    PARN_RETURN_IF(e == cudaErrorInsufficientDriver, PARN_E_DEVICE,
                   "no CUDA driver (or one older than CUDA %d.%d)", CUDART_VERSION / 1000,
                   CUDART_VERSION % 1000 / 10);
    return parn__fail(PARN_E_DEVICE, "the CUDA driver fails: %s (%s)", cudaGetErrorName(e),
                      cudaGetErrorString(e));
}

const char *parn_cuda_versions(void)
{
    static char text[160];
    int rt = 0, drv = 0, blas[3] = {0, 0, 0};
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    cublasGetProperty(MAJOR_VERSION, &blas[0]);
    cublasGetProperty(MINOR_VERSION, &blas[1]);
    cublasGetProperty(PATCH_LEVEL, &blas[2]);
    size_t dnn = cudnnGetVersion();
    snprintf(text, sizeof text, "CUDA runtime %d.%d, driver %d.%d, cuDNN %zu.%zu.%zu, cuBLAS %d.%d.%d",
             rt / 1000, rt % 1000 / 10, drv / 1000, drv % 1000 / 10, dnn / 10000, dnn % 10000 / 100,
             dnn % 100, blas[0], blas[1], blas[2]);
    return text;
}

static bool env_on(const char *name)
{
    const char *v = getenv(name);
    return v && (strcmp(v, "1") == 0 || strcmp(v, "on") == 0 || strcmp(v, "true") == 0);
}

/* Handles bound to the context's stream, with fp32 math unless TF32 was asked for (parity
 * with the CPU holds only in fp32). */
static parn_status create_handles(parn_backend_ctx *ctx)
{
    PARN_CU(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking), "cuda stream");
    PARN_DNN(cudnnCreate(&ctx->cudnn), "cuDNN");
    PARN_DNN(cudnnSetStream(ctx->cudnn, ctx->stream), "cuDNN stream");
    PARN_BLAS(cublasCreate(&ctx->cublas), "cuBLAS");
    PARN_BLAS(cublasSetStream(ctx->cublas, ctx->stream), "cuBLAS stream");
    PARN_BLAS(cublasSetMathMode(ctx->cublas, ctx->tf32 ? CUBLAS_TF32_TENSOR_OP_MATH
                                                       : CUBLAS_DEFAULT_MATH),
              "cuBLAS math mode");
    PARN_CU(cudaMalloc((void **)&ctx->bad_label, sizeof(int)), "cuda");
    return PARN_OK;
}

parn_status parn_cuda_ctx_create(int device, int threads, parn_backend_ctx **out)
{
    (void)threads;
    int count = 0;
    PARN_TRY(parn_cuda_device_count(&count));
    PARN_RETURN_IF(count == 0, PARN_E_DEVICE, "no CUDA device");
    PARN_RETURN_IF(device < 0 || device >= count, PARN_E_DEVICE, "device %d of %d", device, count);
    size_t dnn = cudnnGetVersion();
    PARN_RETURN_IF(dnn / 10000 != CUDNN_MAJOR, PARN_E_DEVICE,
                   "cuDNN %zu.%zu is loaded, this backend needs cuDNN %d", dnn / 10000,
                   dnn % 10000 / 100, CUDNN_MAJOR);
    PARN_CU(cudaSetDevice(device), "cuda device");
    parn_backend_ctx *ctx = parn__calloc(1, sizeof *ctx);
    PARN_RETURN_IF(!ctx, PARN_E_NOMEM, "cuda: out of memory");
    ctx->device = device;
    ctx->tf32 = env_on("PARN_CUDA_TF32");
    parn_status st = create_handles(ctx);
    if (st != PARN_OK) {
        parn_cuda_ctx_destroy(ctx);
        return st;
    }
    *out = ctx;
    return PARN_OK;
}

void parn_cuda_ctx_destroy(parn_backend_ctx *ctx)
{
    if (!ctx) return;
    cudaSetDevice(ctx->device);
    if (ctx->stream) cudaStreamSynchronize(ctx->stream);
    for (int i = 0; i < ctx->n_blocks; i++) cudaFree(ctx->blocks[i].ptr);
    if (ctx->bad_label) cudaFree(ctx->bad_label);
    if (ctx->stage) cudaFreeHost(ctx->stage);
    if (ctx->cublas) cublasDestroy(ctx->cublas);
    if (ctx->cudnn) cudnnDestroy(ctx->cudnn);
    if (ctx->stream) cudaStreamDestroy(ctx->stream);
    parn__free(ctx->blocks);
    parn__free(ctx->algos);
    parn__free(ctx);
}

/* fp16/bf16 need Ampere or later for bf16 tensor cores (the module is built for sm_80+ anyway);
 * TF32 is the same there. */
parn_status parn_cuda_ctx_set_precision(parn_backend_ctx *ctx, parn_precision precision)
{
    PARN_RETURN_IF(precision < PARN_PRECISION_FP32 || precision > PARN_PRECISION_BF16,
                   PARN_E_INVALID_ARG, "cuda: unknown precision %d", (int)precision);
    int major = 0;
    PARN_CU(cudaSetDevice(ctx->device), "cuda device");
    PARN_CU(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, ctx->device),
            "cuda device");
    PARN_RETURN_IF(precision != PARN_PRECISION_FP32 && major < 8, PARN_E_UNSUPPORTED,
                   "cuda:%d: precision %s needs compute capability 8.0 or later (this GPU has %d.x)",
                   ctx->device, precision == PARN_PRECISION_TF32 ? "tf32"
                                : precision == PARN_PRECISION_FP16 ? "fp16" : "bf16", major);
    ctx->tf32 = precision == PARN_PRECISION_TF32 || env_on("PARN_CUDA_TF32");
    ctx->half = precision == PARN_PRECISION_FP16 ? PARN_K_F16
                : precision == PARN_PRECISION_BF16 ? PARN_K_BF16 : 0;
    const char *layout = getenv("PARN_CUDA_HALF_LAYOUT");
    ctx->half_layout = !layout ? 0 : strcmp(layout, "nchw") == 0 ? 1 : strcmp(layout, "nhwc") == 0 ? 2 : 0;
    PARN_BLAS(cublasSetMathMode(ctx->cublas, ctx->tf32 ? CUBLAS_TF32_TENSOR_OP_MATH
                                                       : CUBLAS_DEFAULT_MATH),
              "cuBLAS math mode");
    return PARN_OK;
}

void parn_cuda_ctx_enter(parn_backend_ctx *ctx)
{
    /* the current device is per host thread */
    cudaSetDevice(ctx->device);
}

/* ---- the caching allocator --------------------------------------------------------------------- */

/* Size classes: 512-byte steps up to 1 MiB, then steps of an eighth of the power of two
 * below the size (at most 12.5% more than asked). */
static size_t size_class(size_t bytes)
{
    if (bytes <= ((size_t)1 << 20)) return (bytes + 511) & ~(size_t)511;
    size_t p = (size_t)1 << 20;
    while (p <= bytes / 2) p <<= 1;
    size_t step = p / 8;
    return (bytes + step - 1) / step * step;
}

/* Returns every cached (unused) block to the device. */
static void release_cache(parn_backend_ctx *ctx)
{
    int kept = 0;
    for (int i = 0; i < ctx->n_blocks; i++) {
        if (ctx->blocks[i].used)
            ctx->blocks[kept++] = ctx->blocks[i];
        else
            cudaFree(ctx->blocks[i].ptr);
    }
    ctx->n_blocks = kept;
}

void *parn_cuda_alloc(parn_backend_ctx *ctx, size_t bytes)
{
    size_t want = size_class(bytes ? bytes : 1);
    int best = -1;
    for (int i = 0; i < ctx->n_blocks; i++) {
        const parn_cuda_block *b = &ctx->blocks[i];
        /* best fit, and never more than twice the need, so big blocks stay for big needs */
        if (!b->used && b->bytes >= want && b->bytes <= 2 * want &&
            (best < 0 || b->bytes < ctx->blocks[best].bytes))
            best = i;
    }
    if (best >= 0) {
        ctx->blocks[best].used = true;
        return ctx->blocks[best].ptr;
    }
    if (ctx->n_blocks == ctx->cap_blocks) {
        int cap = ctx->cap_blocks ? 2 * ctx->cap_blocks : 64;
        parn_cuda_block *blocks = parn__realloc(ctx->blocks, (size_t)cap * sizeof *blocks);
        if (!blocks) return NULL;
        ctx->blocks = blocks;
        ctx->cap_blocks = cap;
    }
    void *p = NULL;
    if (cudaMalloc(&p, want) != cudaSuccess) {
        cudaGetLastError();
        release_cache(ctx);
        if (cudaMalloc(&p, want) != cudaSuccess) {
            cudaGetLastError();
            return NULL;
        }
    }
    ctx->blocks[ctx->n_blocks++] = (parn_cuda_block){p, want, true, 0};
    return p;
}

void parn_cuda_free(parn_backend_ctx *ctx, void *p)
{
    if (!p) return;
    for (int i = ctx->n_blocks - 1; i >= 0; i--)
        if (ctx->blocks[i].ptr == p) {
            ctx->blocks[i].used = false;
            return;
        }
}

uint64_t parn_cuda_upload_stamp(const parn_backend_ctx *ctx, const void *p)
{
    for (int i = ctx->n_blocks - 1; i >= 0; i--)
        if (ctx->blocks[i].ptr == p) return ctx->blocks[i].stamp;
    return 0;
}

/* Marks the block starting at p as written by a new upload. */
static void stamp_upload(parn_backend_ctx *ctx, const void *p)
{
    ctx->uploads++;
    for (int i = ctx->n_blocks - 1; i >= 0; i--)
        if (ctx->blocks[i].ptr == p) {
            ctx->blocks[i].stamp = ctx->uploads;
            return;
        }
}

parn_status parn_cuda_alloc_for(parn_backend_ctx *ctx, size_t bytes, const char *what, void **out)
{
    *out = parn_cuda_alloc(ctx, bytes);
    PARN_RETURN_IF(!*out, PARN_E_NOMEM, "%s: the GPU is out of memory for %zu bytes", what, bytes);
    return PARN_OK;
}

parn_status parn_cuda_workspace(parn_backend_ctx *ctx, size_t bytes, void **out)
{
    if (bytes > ctx->work_bytes || !ctx->work) {
        parn_cuda_free(ctx, ctx->work);
        ctx->work = NULL;
        ctx->work_bytes = 0;
        size_t want = bytes > 4096 ? bytes : 4096;
        PARN_TRY(parn_cuda_alloc_for(ctx, want, "workspace", &ctx->work));
        ctx->work_bytes = want;
    }
    *out = ctx->work;
    return PARN_OK;
}

/* ---- copies between host and device -------------------------------------------------------------- */

/* Waits for the stream; the staging buffer is then free again. Reports pending failures. */
static parn_status sync(parn_backend_ctx *ctx)
{
    ctx->stage_used = 0;
    return parn_cuda_check(cudaStreamSynchronize(ctx->stream), "cuda");
}

/* A free stretch of staging of bytes (<= STAGE_MAX), waiting for earlier copies when full. */
static parn_status stage(parn_backend_ctx *ctx, size_t bytes, unsigned char **out)
{
    size_t need = (bytes + 255) & ~(size_t)255;
    if (ctx->stage_used + need > ctx->stage_bytes) PARN_TRY(sync(ctx));
    if (need > ctx->stage_bytes) {
        size_t grow = ctx->stage_bytes * 2 > need ? ctx->stage_bytes * 2 : need;
        if (grow > STAGE_MAX) grow = STAGE_MAX > need ? STAGE_MAX : need;
        if (ctx->stage) cudaFreeHost(ctx->stage);
        ctx->stage = NULL;
        ctx->stage_bytes = 0;
        PARN_CU(cudaHostAlloc((void **)&ctx->stage, grow, cudaHostAllocDefault), "pinned memory");
        ctx->stage_bytes = grow;
    }
    *out = ctx->stage + ctx->stage_used;
    ctx->stage_used += need;
    return PARN_OK;
}

parn_status parn_cuda_upload(parn_backend_ctx *ctx, float *dev, const float *host, size_t bytes)
{
    stamp_upload(ctx, dev);
    if (bytes > STAGE_MAX) /* the driver stages pageable memory itself, returning when host is free */
        return parn_cuda_check(cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice, ctx->stream),
                               "upload");
    unsigned char *s;
    PARN_TRY(stage(ctx, bytes, &s));
    memcpy(s, host, bytes);
    return parn_cuda_check(cudaMemcpyAsync(dev, s, bytes, cudaMemcpyHostToDevice, ctx->stream),
                           "upload");
}

/* Reports the labels that cross-entropy found bad since the last check (already synced). */
static parn_status check_labels(parn_backend_ctx *ctx)
{
    if (!ctx->bad_label_armed) return PARN_OK;
    int bad = 0;
    PARN_CU(cudaMemcpyAsync(&bad, ctx->bad_label, sizeof bad, cudaMemcpyDeviceToHost, ctx->stream),
            "cross_entropy");
    PARN_TRY(sync(ctx));
    ctx->bad_label_armed = false;
    PARN_RETURN_IF(bad, PARN_E_INVALID_ARG,
                   "cross_entropy: a label is not a class index in [0, classes) (the loss is NaN)");
    return PARN_OK;
}

parn_status parn_cuda_download(parn_backend_ctx *ctx, const parn_tensor *t, float *dst)
{
    size_t bytes = (size_t)parn_tensor_numel(t) * sizeof(float);
    void *tmp = NULL;
    parn_tensor plain;
    parn_status st = parn_cuda_plain(ctx, t, &tmp, &plain);
    const unsigned char *src = (const unsigned char *)plain.data;
    for (size_t off = 0; st == PARN_OK && off < bytes;) {
        size_t n = bytes - off < STAGE_MAX ? bytes - off : STAGE_MAX;
        unsigned char *s = NULL;
        st = sync(ctx); /* the whole staging buffer is this copy's */
        if (st == PARN_OK) st = stage(ctx, n, &s);
        if (st == PARN_OK)
            st = parn_cuda_check(cudaMemcpyAsync(s, src + off, n, cudaMemcpyDeviceToHost, ctx->stream),
                                 "download");
        if (st == PARN_OK) st = sync(ctx);
        if (st == PARN_OK) memcpy((unsigned char *)dst + off, s, n);
        off += n;
    }
    parn_cuda_free(ctx, tmp);
    if (st == PARN_OK) st = check_labels(ctx);
    return st;
}

/* ---- tensors ----------------------------------------------------------------------------------- */

static parn_status set_desc(int nd, const int64_t *dims, const int64_t *strides,
                            cudnnTensorDescriptor_t *out)
{
    int d[5], s[5];
    for (int i = 0; i < nd; i++) {
        PARN_RETURN_IF(dims[i] > INT_MAX || strides[i] > INT_MAX, PARN_E_UNSUPPORTED,
                       "cuDNN: dim %d (%lld, stride %lld) does not fit in 32 bits", i,
                       (long long)dims[i], (long long)strides[i]);
        d[i] = (int)dims[i];
        s[i] = (int)strides[i];
    }
    *out = NULL;
    PARN_DNN(cudnnCreateTensorDescriptor(out), "cuDNN tensor");
    cudnnStatus_t r = cudnnSetTensorNdDescriptor(*out, CUDNN_DATA_FLOAT, nd, d, s);
    if (r != CUDNN_STATUS_SUCCESS) {
        cudnnDestroyTensorDescriptor(*out);
        *out = NULL;
    }
    return parn_cudnn_check(r, "cuDNN tensor");
}

parn_status parn_cuda_tensor_desc(const parn_tensor *t, cudnnTensorDescriptor_t *out)
{
    int64_t dims[5], strides[5];
    int nd = t->ndim > 4 ? t->ndim : 4;
    for (int i = 0; i < nd; i++) {
        dims[i] = i < t->ndim ? t->dims[i] : 1;
        strides[i] = i < t->ndim ? t->strides[i] : 1;
    }
    /* a size-1 dim's stride moves nothing, but cuDNN wants it consistent with the others */
    for (int i = nd - 1; i >= 0; i--)
        if (dims[i] == 1) strides[i] = i + 1 < nd ? strides[i + 1] * dims[i + 1] : 1;
    return set_desc(nd, dims, strides, out);
}

parn_status parn_cuda_dims_desc(int nd, const int64_t *dims, cudnnTensorDescriptor_t *out)
{
    parn_tensor t = {.ndim = nd};
    for (int i = 0; i < nd; i++) t.dims[i] = dims[i];
    parn_tensor_set_plain(&t);
    return parn_cuda_tensor_desc(&t, out);
}

parn_status parn_cuda_conform(parn_backend_ctx *ctx, const parn_tensor *src,
                              const parn_tensor *layout, void **tmp, parn_tensor *out)
{
    *out = *src;
    *tmp = NULL;
    if (parn_tensor_same_layout(src, layout)) return PARN_OK;
    PARN_RETURN_IF(!parn_tensor_same_dims(src, layout), PARN_E_INTERNAL,
                   "cuda: cannot lay %s out as %s", parn_tensor_shape_str(src),
                   parn_tensor_shape_str(layout));
    PARN_TRY(parn_cuda_alloc_for(ctx, (size_t)parn_tensor_numel(src) * sizeof(float), "cuda", tmp));
    for (int i = 0; i < src->ndim; i++) out->strides[i] = layout->strides[i];
    out->data = *tmp;
    return parn_cuda_check(parn_k_copy(ctx->stream, out->data, parn_cuda_view(out), src->data,
                                       parn_cuda_view(src)),
                           "cuda copy");
}

parn_status parn_cuda_plain(parn_backend_ctx *ctx, const parn_tensor *src, void **tmp,
                            parn_tensor *out)
{
    parn_tensor plain = *src;
    parn_tensor_set_plain(&plain);
    return parn_cuda_conform(ctx, src, &plain, tmp, out);
}

/* ---- fp16 / bf16 weights ------------------------------------------------------------------------- */

parn_status parn_cuda_half_weights(parn_backend_ctx *ctx, parn_graph *g, const parn_node *n, int i,
                                   const parn_tensor *half_layout, parn_cuda_half_cache *cache,
                                   void **tmp, const void **out)
{
    const parn_tensor *w = parn_src(g, n, i);
    uint64_t stamp = parn_cuda_upload_stamp(ctx, w->data);
    bool param = parn_src_node(g, n, i)->op == PARN_OP_PARAM && stamp != 0;
    if (param && cache->data && cache->src == w->data && cache->stamp == stamp &&
        cache->version == w->version) {
        *out = cache->data;
        return PARN_OK;
    }
    void **dst = tmp;
    if (param) {
        parn_cuda_free(ctx, cache->data);
        cache->data = NULL;
        dst = &cache->data;
    }
    PARN_TRY(parn_cuda_alloc_for(ctx, (size_t)parn_tensor_numel(w) * 2, n->name, dst));
    PARN_CU(parn_k_to_half(ctx->stream, ctx->half, *dst, parn_cuda_view(half_layout), w->data,
                           parn_cuda_view(w)),
            n->name);
    if (param) {
        cache->src = w->data;
        cache->stamp = stamp;
        cache->version = w->version;
    }
    *out = *dst;
    return PARN_OK;
}

/* ---- node states ------------------------------------------------------------------------------- */

void *parn_cuda_state_of(parn_node *n, size_t size, void (*destroy)(parn_cuda_state *))
{
    if (!n->backend_state) {
        parn_cuda_state *s = parn__calloc(1, size);
        if (!s) return NULL;
        s->destroy = destroy;
        n->backend_state = s;
    }
    return n->backend_state;
}

void parn_cuda_node_state_free(void *state)
{
    parn_cuda_state *s = state;
    if (s) s->destroy(s);
}
