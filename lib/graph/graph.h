/* SPDX-License-Identifier: MIT */
/* The op graph: nodes appended in topological order, shape inference at append time,
 * reverse-mode autodiff that appends gradient nodes to the same graph, a memory plan that
 * reuses buffers, and an executor that dispatches each node to a backend kernel.
 *
 * Builders return a node id (>= 0) or -1. The first failure is sticky: later builders return
 * -1 without doing anything, and parn_graph_status() / plan / run report it, so network
 * definitions can append many ops and check once. */
#ifndef PARN_GRAPH_H
#define PARN_GRAPH_H

#include "ops.h"
#include "tensor.h"

#define PARN_MAX_SRC 16
#define PARN_MAX_SIDE 2

typedef struct parn_backend parn_backend;
typedef struct parn_backend_ctx parn_backend_ctx;

typedef struct parn_node {
    parn_op_type op;
    int n_src;
    int src[PARN_MAX_SRC];
    parn_attrs attrs;
    parn_tensor out;                 /* dims and strides; data bound by the plan, or by the caller
                                        for leaves (INPUT, PARAM) */
    int n_side;
    parn_tensor side[PARN_MAX_SIDE]; /* extra outputs that live as long as the graph's plan
                                        (batch statistics, dropout masks, bias gradients) */
    bool requires_grad;
    bool keep;                       /* the output survives the run and can be read */
    bool plain_out;                  /* store plain row-major whatever the backend prefers */
    char name[96];                   /* leaves: the tensor name (model tensors by full name) */
    void *backend_state;             /* a backend's cache for this node (primitives, workspace) */
} parn_node;

typedef struct parn_graph parn_graph;

parn_graph *parn_graph_create(void);
void parn_graph_destroy(parn_graph *g);

/* The sticky status; PARN_OK while every builder succeeded. */
parn_status parn_graph_status(const parn_graph *g);
/* The sticky failure's message ("" when none). */
const char *parn_graph_error(const parn_graph *g);

int parn_graph_size(const parn_graph *g);
parn_node *parn_graph_node(parn_graph *g, int id);
const parn_tensor *parn_graph_tensor(const parn_graph *g, int id);

/* Leaves. An input has no gradient unless parn_graph_set_requires_grad says so; a param has.
 * dims has ndim entries (0..PARN_MAX_DIMS), each >= 1. name may be NULL. */
int parn_graph_input(parn_graph *g, const char *name, int ndim, const int64_t *dims);
int parn_graph_param(parn_graph *g, const char *name, int ndim, const int64_t *dims);
parn_status parn_graph_set_requires_grad(parn_graph *g, int id, bool requires_grad);

/* Appends an op node: checks src ids and counts, runs the op's shape inference. Used by the
 * per-op builders in lib/graph/ops/. */
int parn_graph_append(parn_graph *g, parn_op_type op, int n_src, const int *src,
                      const parn_attrs *attrs);

/* Records a failure on the graph (sticky) and returns -1; for builders' argument checks. */
int parn_graph_fail(parn_graph *g, parn_status st, const char *fmt, ...) PARN_PRINTF(3, 4);

/* Marks a node's output as needed after the run (readable with parn_graph_read). */
parn_status parn_graph_keep(parn_graph *g, int id);

/* Appends the backward pass of y. seed is the node holding dL/dy (same dims as y), or -1
 * when y has one element (dL/dy = 1). Gradients of every node that requires them become
 * available through parn_graph_grad; gradients of leaves are kept. */
parn_status parn_graph_backward(parn_graph *g, int y, int seed);

/* The node holding dL/d(id), or -1 when id has no gradient. */
int parn_graph_grad(const parn_graph *g, int id);

/* Points a leaf at caller memory laid out plain row-major (borrowed; must outlive runs).
 * Binding again with another pointer is allowed between runs. */
parn_status parn_graph_bind(parn_graph *g, int leaf, float *data);

/* Assigns layouts and buffers for a backend; called by parn_graph_run when needed. */
parn_status parn_graph_plan(parn_graph *g, const parn_backend *backend, parn_backend_ctx *ctx);

/* Runs every node that a kept output needs, in order. */
parn_status parn_graph_run(parn_graph *g, const parn_backend *backend, parn_backend_ctx *ctx);

/* Copies a kept node's output (plain row-major, numel floats) to dst. */
parn_status parn_graph_read(const parn_graph *g, int id, float *dst);

/* The graph's random generator (dropout); seeded with 0 at creation. */
parn_rng *parn_graph_rng(parn_graph *g);

/* For op definitions: the output tensor of src i of node n. */
const parn_tensor *parn_src(const parn_graph *g, const parn_node *n, int i);
/* For op definitions: src i of node n itself (to read its attributes or side outputs). */
const parn_node *parn_src_node(const parn_graph *g, const parn_node *n, int i);

#endif
