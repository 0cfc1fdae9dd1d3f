/* SPDX-License-Identifier: MIT */
/* The backend contract: one table of kernels indexed by op, plus memory and context hooks.
 * A backend never knows what a network is; it runs one node at a time. */
#ifndef PARN_BACKEND_H
#define PARN_BACKEND_H

#include "graph/graph.h"

#define PARN_BACKEND_API_VERSION 1

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
};

const parn_backend *parn_backend_cpu(void);

#endif
