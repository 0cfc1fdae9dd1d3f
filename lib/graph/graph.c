/* SPDX-License-Identifier: MIT */
/* Graph construction: leaves, op nodes with shape inference, and the sticky error. */
#include "graph_impl.h"

#include "backend/backend.h"

#include <stdio.h>
#include <string.h>

parn_graph *parn_graph_create(void)
{
    parn_graph *g = parn__calloc(1, sizeof *g);
    if (!g) {
        parn__fail(PARN_E_NOMEM, "graph: out of memory");
        return NULL;
    }
    parn__rng_seed(&g->rng, 0);
    return g;
}

void parn_graph_destroy(parn_graph *g)
{
    if (!g) return;
    parn_graph_unplan(g);
    parn__free(g->nodes);
    parn__free(g->grads);
    parn__free(g);
}

parn_status parn_graph_status(const parn_graph *g)
{
    return g ? g->status : PARN_E_INVALID_ARG;
}

const char *parn_graph_error(const parn_graph *g)
{
    return g ? g->error : "graph is NULL";
}

int parn_graph_fail(parn_graph *g, parn_status st, const char *fmt, ...)
{
    if (g->status != PARN_OK) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->error, sizeof g->error, fmt, ap);
    va_end(ap);
    g->status = st;
    parn__fail(st, "%s", g->error);
    return -1;
}

/* Copies the thread's message of a failed status into the graph's sticky error. */
static int fail_with_thread_error(parn_graph *g, parn_status st)
{
    return parn_graph_fail(g, st, "%s", parn__thread_error());
}

int parn_graph_size(const parn_graph *g)
{
    return g->n_nodes;
}

parn_node *parn_graph_node(parn_graph *g, int id)
{
    return id >= 0 && id < g->n_nodes ? &g->nodes[id] : NULL;
}

const parn_tensor *parn_graph_tensor(const parn_graph *g, int id)
{
    return id >= 0 && id < g->n_nodes ? &g->nodes[id].out : NULL;
}

const parn_tensor *parn_src(const parn_graph *g, const parn_node *n, int i)
{
    return &g->nodes[n->src[i]].out;
}

const parn_node *parn_src_node(const parn_graph *g, const parn_node *n, int i)
{
    return &g->nodes[n->src[i]];
}

parn_rng *parn_graph_rng(parn_graph *g)
{
    return &g->rng;
}

static parn_node *new_node(parn_graph *g)
{
    if (g->n_nodes == g->cap) {
        int cap = g->cap ? g->cap * 2 : 64;
        parn_node *nodes = parn__realloc(g->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) {
            parn_graph_fail(g, PARN_E_NOMEM, "graph: out of memory for %d nodes", cap);
            return NULL;
        }
        g->nodes = nodes;
        g->cap = cap;
    }
    /* A new node invalidates the plan (buffers and lifetimes). */
    parn_graph_unplan(g);
    parn_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    return n;
}

static int add_leaf(parn_graph *g, parn_op_type op, const char *name, int ndim, const int64_t *dims)
{
    if (!g || g->status != PARN_OK) return -1;
    if (ndim < 0 || ndim > PARN_MAX_DIMS || (ndim > 0 && !dims))
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "graph: leaf '%s' has rank %d (0..%d)",
                               name ? name : "?", ndim, PARN_MAX_DIMS);
    for (int i = 0; i < ndim; i++)
        if (dims[i] < 1)
            return parn_graph_fail(g, PARN_E_SHAPE, "graph: leaf '%s' has dim %d = %lld (< 1)",
                                   name ? name : "?", i, (long long)dims[i]);
    parn_node *n = new_node(g);
    if (!n) return -1;
    n->op = op;
    n->out.ndim = ndim;
    for (int i = 0; i < ndim; i++) n->out.dims[i] = dims[i];
    parn_tensor_set_plain(&n->out);
    n->requires_grad = op == PARN_OP_PARAM;
    n->plain_out = true;
    snprintf(n->name, sizeof n->name, "%s", name ? name : "");
    return g->n_nodes++;
}

int parn_graph_input(parn_graph *g, const char *name, int ndim, const int64_t *dims)
{
    return add_leaf(g, PARN_OP_INPUT, name, ndim, dims);
}

int parn_graph_param(parn_graph *g, const char *name, int ndim, const int64_t *dims)
{
    return add_leaf(g, PARN_OP_PARAM, name, ndim, dims);
}

parn_status parn_graph_set_requires_grad(parn_graph *g, int id, bool requires_grad)
{
    PARN_RETURN_IF(!g || id < 0 || id >= g->n_nodes, PARN_E_INVALID_ARG, "graph: no node %d", id);
    parn_node *n = &g->nodes[id];
    PARN_RETURN_IF(n->op != PARN_OP_INPUT && n->op != PARN_OP_PARAM, PARN_E_INVALID_ARG,
                   "graph: node %d is not a leaf", id);
    n->requires_grad = requires_grad;
    return PARN_OK;
}

int parn_graph_append(parn_graph *g, parn_op_type op, int n_src, const int *src,
                      const parn_attrs *attrs)
{
    if (!g || g->status != PARN_OK) return -1;
    const parn_op_def *def = parn_op_def_of(op);
    if (!def || !def->infer)
        return parn_graph_fail(g, PARN_E_UNSUPPORTED, "graph: op %d is not implemented", (int)op);
    if (n_src < def->min_src || n_src > def->max_src || n_src > PARN_MAX_SRC)
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "%s: takes %d..%d inputs, got %d",
                               def->name, def->min_src, def->max_src, n_src);
    for (int i = 0; i < n_src; i++)
        if (src[i] < 0 || src[i] >= g->n_nodes)
            return parn_graph_fail(g, PARN_E_INVALID_ARG, "%s: input %d is not a node (%d)",
                                   def->name, i, src[i]);
    parn_node *n = new_node(g);
    if (!n) return -1;
    n->op = op;
    n->n_src = n_src;
    for (int i = 0; i < n_src; i++) {
        n->src[i] = src[i];
        n->requires_grad |= g->nodes[src[i]].requires_grad;
    }
    if (attrs) n->attrs = *attrs;
    n->requires_grad = n->requires_grad && def->backward;
    n->plain_out = def->plain_out;
    snprintf(n->name, sizeof n->name, "%s", def->name);
    parn_status st = def->infer(g, n);
    if (st != PARN_OK) return fail_with_thread_error(g, st);
    for (int i = 0; i < n->out.ndim; i++)
        if (n->out.dims[i] < 1)
            return parn_graph_fail(g, PARN_E_SHAPE, "%s: output dim %d would be %lld", def->name,
                                   i, (long long)n->out.dims[i]);
    parn_tensor_set_plain(&n->out);
    for (int k = 0; k < n->n_side; k++) parn_tensor_set_plain(&n->side[k]);
    return g->n_nodes++;
}

parn_status parn_graph_keep(parn_graph *g, int id)
{
    PARN_RETURN_IF(!g || id < 0 || id >= g->n_nodes, PARN_E_INVALID_ARG, "graph: no node %d", id);
    if (!g->nodes[id].keep) {
        g->nodes[id].keep = true;
        parn_graph_unplan(g);
    }
    return PARN_OK;
}

parn_status parn_graph_bind(parn_graph *g, int leaf, float *data)
{
    PARN_RETURN_IF(!g || leaf < 0 || leaf >= g->n_nodes, PARN_E_INVALID_ARG,
                   "graph: no node %d", leaf);
    parn_node *n = &g->nodes[leaf];
    PARN_RETURN_IF(n->op != PARN_OP_INPUT && n->op != PARN_OP_PARAM, PARN_E_INVALID_ARG,
                   "graph: node %d (%s) is not a leaf", leaf, n->name);
    PARN_RETURN_IF(!data, PARN_E_INVALID_ARG, "graph: NULL data for leaf '%s'", n->name);
    n->out.data = data;
    n->out.version++;
    return PARN_OK;
}

parn_status parn_graph_read(const parn_graph *g, int id, float *dst)
{
    PARN_RETURN_IF(!g || id < 0 || id >= g->n_nodes, PARN_E_INVALID_ARG, "graph: no node %d", id);
    PARN_RETURN_IF(!dst, PARN_E_INVALID_ARG, "graph: NULL destination");
    const parn_node *n = &g->nodes[id];
    bool leaf = n->op == PARN_OP_INPUT || n->op == PARN_OP_PARAM;
    PARN_RETURN_IF(!leaf && !n->keep, PARN_E_STATE,
                   "graph: node %d (%s) was not kept; call parn_graph_keep before running", id,
                   n->name);
    PARN_RETURN_IF(!n->out.data || (!leaf && !g->ran), PARN_E_STATE,
                   "graph: node %d (%s) has no data yet; run the graph first", id, n->name);
    /* leaves always point at host memory between runs; outputs of a device backend do not */
    if (!leaf && g->backend->download) return g->backend->download(g->ctx, &n->out, dst);
    parn_tensor_read_plain(&n->out, dst);
    return PARN_OK;
}
