/* SPDX-License-Identifier: MIT */
/* Softmax and log-softmax along one axis, and their gradient from the output y. */
#include "op_defs.h"

static parn_status softmax_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    int *axis = &n->attrs.softmax.axis;
    PARN_RETURN_IF(x->ndim < 1, PARN_E_SHAPE, "softmax: x is a scalar");
    PARN_RETURN_IF(*axis < -x->ndim || *axis >= x->ndim, PARN_E_INVALID_ARG,
                   "softmax: axis %d is out of range for x %s", *axis, parn_tensor_shape_str(x));
    if (*axis < 0) *axis += x->ndim; /* PyTorch's negative axes count from the end */
    parn_out_like(n, x);
    return PARN_OK;
}

static parn_status softmax_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_attrs a = parn_graph_node(g, node)->attrs;
    dsrc[0] = PARN_APPEND(g, PARN_OP_SOFTMAX_BWD, &a, dy, node);
    return parn_graph_status(g);
}

static parn_status softmax_bwd_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *dy = parn_src(g, n, 0), *y = parn_src(g, n, 1);
    PARN_RETURN_IF(!parn_tensor_same_dims(dy, y), PARN_E_SHAPE,
                   "softmax backward: dy %s does not match y %s", parn_tensor_shape_str(dy),
                   parn_tensor_shape_str(y));
    int axis = n->attrs.softmax.axis;
    PARN_RETURN_IF(axis < 0 || axis >= y->ndim, PARN_E_INVALID_ARG,
                   "softmax backward: axis %d is out of range for y %s", axis, parn_tensor_shape_str(y));
    parn_out_like(n, y);
    return PARN_OK;
}

const parn_op_def parn_def_softmax = {"softmax", 1, 1, false, softmax_infer, softmax_backward};
const parn_op_def parn_def_softmax_bwd = {"softmax_bwd", 2, 2, false, softmax_bwd_infer, NULL};

int parn_softmax(parn_graph *g, int x, int axis, bool log)
{
    parn_attrs a = {.softmax = {axis, log}};
    return PARN_APPEND(g, PARN_OP_SOFTMAX, &a, x);
}
