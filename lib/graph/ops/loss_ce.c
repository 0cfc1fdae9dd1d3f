/* SPDX-License-Identifier: MIT */
/* Cross-entropy of logits (N x C) against class indices stored as floats (F.cross_entropy). */
#include "loss.h"

/* Shapes and attributes shared by the loss and its backward; labels are checked at run time. */
static parn_status check_srcs(const char *op, const parn_loss_attrs *a, const parn_tensor *logits,
                              const parn_tensor *labels)
{
    PARN_TRY(parn_loss_check_reduction(op, a));
    PARN_RETURN_IF(logits->ndim != 2, PARN_E_SHAPE, "%s: logits must be N x C, got %s", op,
                   parn_tensor_shape_str(logits));
    PARN_RETURN_IF(labels->ndim != 1 || labels->dims[0] != logits->dims[0], PARN_E_SHAPE,
                   "%s: labels must be a vector of %lld class indices, got %s", op,
                   (long long)logits->dims[0], parn_tensor_shape_str(labels));
    return PARN_OK;
}

static parn_status ce_infer(const parn_graph *g, parn_node *n)
{
    PARN_TRY(check_srcs("cross_entropy", &n->attrs.loss, parn_src(g, n, 0), parn_src(g, n, 1)));
    n->out.ndim = 0;
    return PARN_OK;
}

/* Labels get no gradient. */
static parn_status ce_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    parn_attrs a = n->attrs;
    int logits = n->src[0], labels = n->src[1];
    a.loss.which = 0;
    dsrc[0] = PARN_APPEND(g, PARN_OP_CROSS_ENTROPY_BWD, &a, dy, logits, labels);
    return parn_graph_status(g);
}

static parn_status ce_bwd_infer(const parn_graph *g, parn_node *n)
{
    const char *op = "cross_entropy backward";
    PARN_TRY(parn_loss_check_scalar_dy(g, n, op));
    PARN_RETURN_IF(n->attrs.loss.which != 0, PARN_E_INVALID_ARG,
                   "%s: only the logits (input 0) have a gradient, not input %d", op,
                   n->attrs.loss.which);
    PARN_TRY(check_srcs(op, &n->attrs.loss, parn_src(g, n, 1), parn_src(g, n, 2)));
    parn_out_like(n, parn_src(g, n, 1));
    return PARN_OK;
}

const parn_op_def parn_def_cross_entropy = {"cross_entropy", 2, 2, true, ce_infer, ce_backward};
const parn_op_def parn_def_cross_entropy_bwd = {"cross_entropy_bwd", 3, 3, false, ce_bwd_infer,
                                                NULL};

int parn_cross_entropy(parn_graph *g, int logits, int labels, parn_reduction r)
{
    parn_attrs a = {.loss = {.reduction = r}};
    return PARN_APPEND(g, PARN_OP_CROSS_ENTROPY, &a, logits, labels);
}
