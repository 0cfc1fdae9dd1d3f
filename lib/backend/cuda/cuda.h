/* SPDX-License-Identifier: MIT */
/* Private helpers shared by the CUDA backend's files (one op family per file in this folder).
 * Everything here lives in libparn-cuda.so; libparn reaches it only through module.h. */
#ifndef PARN_CUDA_H
#define PARN_CUDA_H

#include "backend/backend.h"
#include "kernels.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

/* A device allocation of the caching allocator. */
typedef struct parn_cuda_block {
    void *ptr;
    size_t bytes;
    bool used;
    uint64_t stamp; /* the upload that last wrote the block (0: none), for caches of its contents */
} parn_cuda_block;

/* A convolution algorithm found once for a problem (see conv.c), shared by every node and
 * graph of the session that poses the same problem. */
typedef struct parn_cuda_algo {
    unsigned char key[160];
    int algo;
    size_t workspace;
    cudnnMathType_t math;
} parn_cuda_algo;

struct parn_backend_ctx {
    int device;
    cudaStream_t stream;            /* every kernel, copy and library call of the session */
    cudnnHandle_t cudnn;            /* bound to stream */
    cublasHandle_t cublas;          /* bound to stream */
    bool tf32;                      /* precision "tf32" (or PARN_CUDA_TF32=1): TF32 tensor cores
                                       for fp32 conv/GEMM */
    int half;                       /* precision "fp16"/"bf16": PARN_K_F16/PARN_K_BF16, the type
                                       of forward convolutions and dense layers; 0: fp32 */
    int half_layout;                /* PARN_CUDA_HALF_LAYOUT: 0 per op, 1 nchw, 2 channels-last */
    uint64_t uploads;               /* uploads so far (stamps of the blocks written) */
    /* caching allocator: freed blocks stay for reuse until the context goes */
    parn_cuda_block *blocks;
    int n_blocks, cap_blocks;
    /* pinned staging for uploads and downloads; [0, stage_used) may still be in flight */
    unsigned char *stage;
    size_t stage_bytes, stage_used;
    /* one workspace for whichever call needs one (calls run one at a time on the stream) */
    void *work;
    size_t work_bytes;
    /* cross-entropy's bad-label flag (device int), checked when results leave the device */
    int *bad_label;
    bool bad_label_armed;
    parn_cuda_algo *algos;
    int n_algos, cap_algos;
};

/* ---- statuses -------------------------------------------------------------------------------- */

/* Maps a CUDA / cuDNN / cuBLAS status to a parn status with a message naming what failed. */
parn_status parn_cuda_check(cudaError_t e, const char *what);
parn_status parn_cudnn_check(cudnnStatus_t s, const char *what);
parn_status parn_cublas_check(cublasStatus_t s, const char *what);
#define PARN_CU(call, what) PARN_TRY(parn_cuda_check((call), (what)))
#define PARN_DNN(call, what) PARN_TRY(parn_cudnn_check((call), (what)))
#define PARN_BLAS(call, what) PARN_TRY(parn_cublas_check((call), (what)))

/* ---- memory (context.c) ---------------------------------------------------------------------- */

/* Device memory from the session's cache (NULL when the device is full even after the cache
 * was released); back to the cache with parn_cuda_free. Work queued on the session's one
 * stream before a free is ordered before any use of the block by a later allocation. */
void *parn_cuda_alloc(parn_backend_ctx *ctx, size_t bytes);
void parn_cuda_free(parn_backend_ctx *ctx, void *p);
/* As parn_cuda_alloc, with a message naming what on failure. */
parn_status parn_cuda_alloc_for(parn_backend_ctx *ctx, size_t bytes, const char *what, void **out);

/* The stamp of the last upload into the block starting at p (0: never uploaded into, or not
 * a block start): a cache of what was uploaded there is valid while the stamp is unchanged. */
uint64_t parn_cuda_upload_stamp(const parn_backend_ctx *ctx, const void *p);

/* The shared workspace, grown to at least bytes (its contents do not survive). */
parn_status parn_cuda_workspace(parn_backend_ctx *ctx, size_t bytes, void **out);

/* The backend's upload and download hooks (backend.h). */
parn_status parn_cuda_upload(parn_backend_ctx *ctx, float *dev, const float *host, size_t bytes);
parn_status parn_cuda_download(parn_backend_ctx *ctx, const parn_tensor *t, float *dst);

/* ---- tensors --------------------------------------------------------------------------------- */

/* A tensor's view for the launchers of kernels/kernels.h. */
static inline parn_kview parn_cuda_view(const parn_tensor *t)
{
    parn_kview v = {.ndim = t->ndim};
    for (int i = 0; i < t->ndim; i++) {
        v.dims[i] = t->dims[i];
        v.strides[i] = t->strides[i];
    }
    return v;
}

/* A cuDNN tensor descriptor of t's dims and strides, as 4 or 5 dims (lower ranks get trailing
 * 1s: N x C -> N x C x 1 x 1). *out is NULL on failure. */
parn_status parn_cuda_tensor_desc(const parn_tensor *t, cudnnTensorDescriptor_t *out);
/* A plain descriptor of the given dims (4 or 5). */
parn_status parn_cuda_dims_desc(int nd, const int64_t *dims, cudnnTensorDescriptor_t *out);

/* src laid out like layout (dims must match): src itself when it already is, else a copy in
 * *tmp, which the caller frees with parn_cuda_free (NULL when no copy was needed). */
parn_status parn_cuda_conform(parn_backend_ctx *ctx, const parn_tensor *src,
                              const parn_tensor *layout, void **tmp, parn_tensor *out);
/* src laid out plain row-major (parn_cuda_conform against its plain layout). */
parn_status parn_cuda_plain(parn_backend_ctx *ctx, const parn_tensor *src, void **tmp,
                            parn_tensor *out);

/* Checks a launcher's status, naming the op. */
static inline parn_status parn_cuda_launched(cudaError_t e, const parn_node *n)
{
    return parn_cuda_check(e, n->name);
}

/* ---- fp16 / bf16 weights ----------------------------------------------------------------------- */

/* A node's weights converted to the context's half type, kept across runs. */
typedef struct parn_cuda_half_cache {
    void *data;             /* a block of the allocator, NULL until the first conversion */
    const float *src;       /* the weight leaf's device copy that was converted ... */
    uint64_t stamp, version; /* ... its upload stamp and version then */
} parn_cuda_half_cache;

/* Src i of n (fp32, any strides) in ctx->half, laid out with the strides of half_layout (n's
 * src dims): from cache while src is a parameter whose device copy has not changed (pointer,
 * upload, version), else converted again (into cache for a parameter, into *tmp, which the
 * caller frees, for computed weights). */
parn_status parn_cuda_half_weights(parn_backend_ctx *ctx, parn_graph *g, const parn_node *n, int i,
                                   const parn_tensor *half_layout, parn_cuda_half_cache *cache,
                                   void **tmp, const void **out);

/* ---- node states ----------------------------------------------------------------------------- */

/* Every kernel's per-node cache starts with this header so that one function frees them all. */
typedef struct parn_cuda_state {
    void (*destroy)(struct parn_cuda_state *state);
} parn_cuda_state;

/* n's state, zeroed and made on first use; NULL when out of memory. destroy releases the
 * op's own members and then calls parn__free on the state. */
void *parn_cuda_state_of(parn_node *n, size_t size, void (*destroy)(parn_cuda_state *));
void parn_cuda_node_state_free(void *state);

/* ---- the kernel table -------------------------------------------------------------------------- */

#define PARN_CUDA_KERNEL(name)                                                                 \
    parn_status parn_cuda_##name(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
PARN_CUDA_KERNEL(conv); /* CONV, DECONV and their BWD_DATA / BWD_WEIGHTS */
PARN_CUDA_KERNEL(pool);
PARN_CUDA_KERNEL(pool_bwd);
PARN_CUDA_KERNEL(batch_norm);
PARN_CUDA_KERNEL(batch_norm_bwd);
PARN_CUDA_KERNEL(linear);
PARN_CUDA_KERNEL(linear_bwd_data);
PARN_CUDA_KERNEL(linear_bwd_weights);
PARN_CUDA_KERNEL(act);
PARN_CUDA_KERNEL(act_bwd);
PARN_CUDA_KERNEL(softmax);
PARN_CUDA_KERNEL(softmax_bwd);
PARN_CUDA_KERNEL(binary);
PARN_CUDA_KERNEL(affine);
PARN_CUDA_KERNEL(reduce);
PARN_CUDA_KERNEL(expand);
PARN_CUDA_KERNEL(concat);
PARN_CUDA_KERNEL(slice);
PARN_CUDA_KERNEL(pad);
PARN_CUDA_KERNEL(reshape);
PARN_CUDA_KERNEL(permute);
PARN_CUDA_KERNEL(resize);
PARN_CUDA_KERNEL(resize_bwd);
PARN_CUDA_KERNEL(dropout);
PARN_CUDA_KERNEL(side);
PARN_CUDA_KERNEL(cross_entropy);
PARN_CUDA_KERNEL(cross_entropy_bwd);
PARN_CUDA_KERNEL(bce_logits);
PARN_CUDA_KERNEL(bce_logits_bwd);
PARN_CUDA_KERNEL(dist_loss);
PARN_CUDA_KERNEL(dist_loss_bwd);
PARN_CUDA_KERNEL(ssim);
PARN_CUDA_KERNEL(ssim_bwd);
PARN_CUDA_KERNEL(cosine);
PARN_CUDA_KERNEL(cosine_bwd);

/* ---- bn.cu: what cuDNN's batch norm lacks (plain N x C x inner tensors) ------------------------ */

/* var = 1 / invstd^2 - eps over c channels. */
cudaError_t parn_cuda_bn_var_from_invstd(cudaStream_t stream, int64_t c, float eps,
                                         const float *invstd, float *var);
/* Inference-mode gradients (mean and var held constant): dx, dgamma, dbeta. */
cudaError_t parn_cuda_bn_eval_bwd(cudaStream_t stream, int64_t n, int64_t c, int64_t inner,
                                  float eps, const float *x, const float *dy, const float *gamma,
                                  const float *mean, const float *var, float *dx, float *dgamma,
                                  float *dbeta);

/* ---- context.c: the backend's hooks ---------------------------------------------------------- */

parn_status parn_cuda_ctx_create(int device, int threads, parn_backend_ctx **out);
void parn_cuda_ctx_destroy(parn_backend_ctx *ctx);
void parn_cuda_ctx_enter(parn_backend_ctx *ctx);
parn_status parn_cuda_ctx_set_precision(parn_backend_ctx *ctx, parn_precision precision);
parn_status parn_cuda_device_count(int *count);
const char *parn_cuda_versions(void);

#endif
