/* SPDX-License-Identifier: MIT */
/* Sum and mean over a set of axes, broadcasting back (expand), and sum_to, the gradient of
 * broadcasting. Each is the other's gradient. */
#include "op_defs.h"

/* The dims of x with the reduced axes set to 1. */
static void keepdim_dims(const parn_tensor *x, unsigned axes, int64_t *dims)
{
    for (int i = 0; i < x->ndim; i++) dims[i] = axes & (1u << i) ? 1 : x->dims[i];
}

static parn_status reduce_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    const parn_reduce_attrs *a = &n->attrs.reduce;
    PARN_RETURN_IF(a->axes == 0, PARN_E_INVALID_ARG, "reduce: no axis to reduce over");
    PARN_RETURN_IF(a->axes >> x->ndim != 0, PARN_E_INVALID_ARG,
                   "reduce: axis mask 0x%x names a dim beyond the rank of %s", a->axes,
                   parn_tensor_shape_str(x));
    n->out.ndim = 0;
    for (int i = 0; i < x->ndim; i++) {
        bool reduced = a->axes & (1u << i);
        if (reduced && !a->keepdim) continue;
        n->out.dims[n->out.ndim++] = reduced ? 1 : x->dims[i];
    }
    return PARN_OK;
}

static parn_status reduce_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    parn_reduce_attrs a = n->attrs.reduce;
    parn_tensor x = *parn_src(g, n, 0);
    int64_t kept[PARN_MAX_DIMS], count = 1;
    keepdim_dims(&x, a.axes, kept);
    for (int i = 0; i < x.ndim; i++)
        if (a.axes & (1u << i)) count *= x.dims[i];
    int grad = a.keepdim ? dy : parn_reshape(g, dy, x.ndim, kept);
    /* scale the small tensor before broadcasting it */
    if (a.mean) grad = parn_affine(g, grad, 1.0f / (float)count, 0.0f);
    dsrc[0] = parn_expand(g, grad, x.ndim, x.dims);
    return parn_graph_status(g);
}

static parn_status expand_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    const parn_shape_attrs *a = &n->attrs.shape;
    PARN_RETURN_IF(a->ndim != x->ndim, PARN_E_SHAPE, "expand: %s has rank %d, target rank %d",
                   parn_tensor_shape_str(x), x->ndim, a->ndim);
    for (int i = 0; i < a->ndim; i++)
        PARN_RETURN_IF(a->dims[i] < 1 || (x->dims[i] != 1 && x->dims[i] != a->dims[i]),
                       PARN_E_SHAPE, "expand: cannot broadcast dim %d of %s to %lld", i,
                       parn_tensor_shape_str(x), (long long)a->dims[i]);
    parn_out_dims(n, a->ndim, a->dims);
    return PARN_OK;
}

static parn_status expand_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    const parn_tensor *x = parn_src(g, n, 0);
    unsigned axes = 0;
    for (int i = 0; i < x->ndim; i++)
        if (x->dims[i] != n->out.dims[i]) axes |= 1u << i;
    dsrc[0] = axes ? parn_reduce(g, dy, axes, false, true) : dy;
    return parn_graph_status(g);
}

const parn_op_def parn_def_reduce = {"reduce", 1, 1, false, reduce_infer, reduce_backward};
const parn_op_def parn_def_expand = {"expand", 1, 1, false, expand_infer, expand_backward};

int parn_reduce(parn_graph *g, int x, unsigned axes, bool mean, bool keepdim)
{
    parn_attrs a = {.reduce = {axes, mean, keepdim}};
    return PARN_APPEND(g, PARN_OP_REDUCE, &a, x);
}

int parn_expand(parn_graph *g, int x, int ndim, const int64_t *dims)
{
    if (!g) return -1;
    if (ndim < 0 || ndim > PARN_MAX_DIMS || (ndim > 0 && !dims))
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "expand: rank %d (0..%d) or NULL dims", ndim,
                               PARN_MAX_DIMS);
    parn_attrs a = {.shape = {.ndim = ndim}};
    for (int i = 0; i < ndim; i++) a.shape.dims[i] = dims[i];
    return PARN_APPEND(g, PARN_OP_EXPAND, &a, x);
}

int parn_sum_to(parn_graph *g, int x, int ndim, const int64_t *dims)
{
    if (!g) return -1;
    const parn_tensor *t = parn_graph_tensor(g, x);
    if (!t) return parn_graph_fail(g, PARN_E_INVALID_ARG, "sum_to: input %d is not a node", x);
    if (ndim > 0 && !dims) return parn_graph_fail(g, PARN_E_INVALID_ARG, "sum_to: NULL dims");
    if (t->ndim == ndim) {
        bool same = true;
        for (int i = 0; i < ndim; i++) same = same && t->dims[i] == dims[i];
        if (same) return x;
    }
    parn_tensor from = *t; /* appending may move the node array */
    if (ndim < 0 || ndim > from.ndim)
        return parn_graph_fail(g, PARN_E_SHAPE, "sum_to: cannot sum %s down to rank %d",
                               parn_tensor_shape_str(&from), ndim);
    int lead = from.ndim - ndim;
    unsigned ones = 0;
    for (int i = 0; i < ndim; i++) {
        int64_t have = from.dims[lead + i];
        if (have == dims[i]) continue;
        if (dims[i] != 1)
            return parn_graph_fail(g, PARN_E_SHAPE,
                                   "sum_to: %s does not broadcast from dim %d = %lld",
                                   parn_tensor_shape_str(&from), i, (long long)dims[i]);
        ones |= 1u << i;
    }
    if (lead > 0) x = parn_reduce(g, x, (1u << lead) - 1, false, false);
    if (ones) x = parn_reduce(g, x, ones, false, true);
    return x;
}
