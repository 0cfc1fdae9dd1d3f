/* SPDX-License-Identifier: MIT */
/* Reverse-mode autodiff: appends each op's gradient rule to the same graph, newest node first,
 * summing the contributions of nodes used more than once. */
#include "graph_impl.h"

static parn_status grow_grads(parn_graph *g)
{
    int n = g->n_nodes;
    int *grads = parn__realloc(g->grads, (size_t)n * sizeof *grads);
    PARN_RETURN_IF(!grads, PARN_E_NOMEM, "backward: out of memory");
    for (int i = g->n_grads; i < n; i++) grads[i] = -1;
    g->grads = grads;
    g->n_grads = n;
    return PARN_OK;
}

static parn_status accumulate(parn_graph *g, int node, int grad)
{
    int prev = g->grads[node];
    int sum = prev < 0 ? grad : parn_add(g, prev, grad);
    if (sum < 0) return g->status;
    PARN_TRY(grow_grads(g));
    g->grads[node] = sum;
    return PARN_OK;
}

/* The seed dL/dy: ones when y is a scalar, else the caller's node of y's dims. */
static int make_seed(parn_graph *g, int y, int seed)
{
    const parn_tensor *ty = &g->nodes[y].out;
    if (seed < 0) {
        if (parn_tensor_numel(ty) != 1)
            return parn_graph_fail(g, PARN_E_SHAPE,
                                   "backward: output %s is not a scalar; pass a seed gradient",
                                   parn_tensor_shape_str(ty));
        return parn_affine(g, y, 0.0f, 1.0f);
    }
    if (seed >= g->n_nodes || !parn_tensor_same_dims(&g->nodes[seed].out, ty))
        return parn_graph_fail(g, PARN_E_SHAPE, "backward: seed gradient does not match %s",
                               parn_tensor_shape_str(ty));
    return seed;
}

parn_status parn_graph_backward(parn_graph *g, int y, int seed)
{
    PARN_RETURN_IF(!g, PARN_E_INVALID_ARG, "backward: graph is NULL");
    if (g->status != PARN_OK) return parn__fail(g->status, "%s", g->error);
    PARN_RETURN_IF(y < 0 || y >= g->n_nodes, PARN_E_INVALID_ARG, "backward: no node %d", y);
    PARN_RETURN_IF(g->n_grads > 0, PARN_E_STATE, "backward: this graph already has a backward pass");
    PARN_RETURN_IF(!g->nodes[y].requires_grad, PARN_E_STATE,
                   "backward: node %d (%s) does not depend on anything that requires a gradient",
                   y, g->nodes[y].name);
    int s = make_seed(g, y, seed);
    if (s < 0) return parn__fail(g->status, "%s", g->error);
    PARN_TRY(grow_grads(g));
    g->grads[y] = s;
    for (int i = y; i >= 0; i--) {
        int dy = g->grads[i];
        parn_node *n = &g->nodes[i];
        if (dy < 0 || !n->requires_grad) continue;
        if (n->op == PARN_OP_INPUT || n->op == PARN_OP_PARAM) {
            PARN_TRY(parn_graph_keep(g, dy));
            continue;
        }
        int dsrc[PARN_MAX_SRC];
        for (int k = 0; k < PARN_MAX_SRC; k++) dsrc[k] = -1;
        parn_status st = parn_op_def_of(n->op)->backward(g, i, dy, dsrc);
        if (st == PARN_OK && g->status != PARN_OK) st = g->status;
        if (st != PARN_OK) return st;
        PARN_TRY(grow_grads(g));
        int n_src = g->nodes[i].n_src;
        for (int k = 0; k < n_src; k++) {
            int src = g->nodes[i].src[k];
            if (dsrc[k] >= 0 && g->nodes[src].requires_grad) PARN_TRY(accumulate(g, src, dsrc[k]));
        }
    }
    return PARN_OK;
}

int parn_graph_grad(const parn_graph *g, int id)
{
    if (!g || id < 0 || id >= g->n_grads) return -1;
    return g->grads[id];
}
