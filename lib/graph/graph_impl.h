/* SPDX-License-Identifier: MIT */
/* The graph's private state, shared by graph.c, autodiff.c and exec.c. */
#ifndef PARN_GRAPH_IMPL_H
#define PARN_GRAPH_IMPL_H

#include "graph.h"

typedef struct parn_buffer {
    float *data;
    size_t bytes;
} parn_buffer;

/* A leaf's copy in device memory (backends with an upload hook), valid while the leaf's host
 * pointer and version are those copied. */
typedef struct parn_mirror {
    float *dev;
    const float *host;
    uint64_t version;
    bool valid;
} parn_mirror;

struct parn_graph {
    parn_node *nodes;
    int n_nodes, cap;
    parn_status status;          /* sticky first failure */
    char error[512];
    int *grads;                  /* grads[i] = node holding dL/d(node i), or -1 */
    int n_grads;
    parn_rng rng;
    /* plan */
    const parn_backend *backend;
    parn_backend_ctx *ctx;
    bool planned, ran;
    bool *needed;                /* node must run for some kept output */
    parn_buffer *buffers;        /* activation buffers, reused across nodes */
    int n_buffers;
    float **side_data;           /* side outputs, one allocation per node with sides */
    parn_mirror *mirrors;        /* per node, for leaves on a device backend; else NULL */
};

/* Frees buffers and backend state; the next run plans again. */
void parn_graph_unplan(parn_graph *g);

#endif
