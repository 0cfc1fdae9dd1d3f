/* SPDX-License-Identifier: MIT */
/* The backend contract: one table of kernels indexed by op, plus memory and context hooks.
 * A backend never knows what a network is; it runs one node at a time. */
#ifndef PARN_BACKEND_H
#define PARN_BACKEND_H

#include "graph/graph.h"

#define PARN_BACKEND_API_VERSION 3

/* Arithmetic of convolutions and dense layers (PARN_OPT_PRECISION). */
typedef enum parn_precision {
    PARN_PRECISION_FP32 = 0,
    PARN_PRECISION_TF32 = 1,
    PARN_PRECISION_FP16 = 2,
    PARN_PRECISION_BF16 = 3
} parn_precision;

/* Runs node n of g: reads its srcs' tensors, writes n->out (and side outputs). */
typedef parn_status (*parn_kernel_fn)(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);

struct parn_backend {
    uint32_t api_version;          /* PARN_BACKEND_API_VERSION */
    const char *name;              /* "cpu", "cuda" */
    bool channels_last;            /* preferred storage of 4-D / 5-D activations */
    parn_status (*ctx_create)(int device, int threads, parn_backend_ctx **out);
    void (*ctx_destroy)(parn_backend_ctx *ctx);
    /* Applies per-call settings (thread count) before a graph run on the calling thread. */
    void (*ctx_enter)(parn_backend_ctx *ctx);
    float *(*alloc)(parn_backend_ctx *ctx, size_t bytes);  /* device memory, NULL on failure */
    void (*free)(parn_backend_ctx *ctx, float *p);
    void (*node_state_free)(void *state);                  /* frees parn_node.backend_state */
    const parn_kernel_fn *kernels;                         /* PARN_OP__COUNT entries; NULL = unsupported */
    /* Memory apart from the host's (NULL for the CPU, whose kernels use leaves in place).
     * Before each run the executor gives every needed leaf a device copy (inputs every run,
     * parameters when their pointer or version changed) and points the leaf at it for the run;
     * a kernel that writes a leaf in place bumps its version, and the executor copies it back
     * after the run. Kept outputs leave the device through download. */
    /* Queues a copy of bytes from host memory to device memory; host may be reused on return. */
    parn_status (*upload)(parn_backend_ctx *ctx, float *dev, const float *host, size_t bytes);
    /* Copies t (device memory, any strides) to dst as numel plain row-major floats, after the
     * work queued before it; returns once dst holds them (and reports failures of that work). */
    parn_status (*download)(parn_backend_ctx *ctx, const parn_tensor *t, float *dst);
    /* Sets the precision right after ctx_create, before any run; NULL: fp32 only. Storage
     * stays fp32 whatever the precision (only the arithmetic of some ops changes). */
    parn_status (*ctx_set_precision)(parn_backend_ctx *ctx, parn_precision precision);
};

const parn_backend *parn_backend_cpu(void);

/* The CUDA backend, loaded on first use (lib/api/cuda_loader.c): PARN_E_DEVICE with a message
 * when libparn-cuda.so, the driver or a GPU is missing. */
parn_status parn__backend_cuda(const parn_backend **out);
/* Usable CUDA devices: 0 without error when the module, the driver or a GPU is missing. */
int parn__cuda_device_count(void);
/* The CUDA libraries the module runs on ("CUDA runtime ..., cuDNN ..., cuBLAS ..."), or NULL
 * when it does not load. */
const char *parn__cuda_versions(void);

#endif
