/* SPDX-License-Identifier: MIT */
/* L1 and squared-error losses between x and a target of the same dims (F.l1_loss,
 * F.mse_loss); both inputs are differentiable. */
#include "op_defs.h"

#include <stdio.h>

static parn_status check_srcs(const char *op, const parn_loss_attrs *a, const parn_tensor *x,
                              const parn_tensor *t)
{
    PARN_RETURN_IF(a->reduction != PARN_REDUCE_MEAN && a->reduction != PARN_REDUCE_SUM,
                   PARN_E_INVALID_ARG, "%s: unknown reduction %d", op, (int)a->reduction);
    if (!parn_tensor_same_dims(x, t)) {
        char xs[96];
        snprintf(xs, sizeof xs, "%s", parn_tensor_shape_str(x));
        return parn__fail(PARN_E_SHAPE, "%s: target %s does not match x %s", op,
                          parn_tensor_shape_str(t), xs);
    }
    return PARN_OK;
}

static parn_status dist_infer(const parn_graph *g, parn_node *n)
{
    const char *op = n->attrs.loss.l1 ? "l1_loss" : "l2_loss";
    PARN_TRY(check_srcs(op, &n->attrs.loss, parn_src(g, n, 0), parn_src(g, n, 1)));
    n->out.ndim = 0;
    return PARN_OK;
}

/* One backward node per src that needs a gradient (which = its index). */
static parn_status dist_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    parn_attrs a = n->attrs;
    int src[2] = {n->src[0], n->src[1]};
    for (int k = 0; k < 2; k++) {
        if (!parn_graph_node(g, src[k])->requires_grad) continue;
        a.loss.which = k;
        dsrc[k] = PARN_APPEND(g, PARN_OP_DIST_LOSS_BWD, &a, dy, src[0], src[1]);
    }
    return parn_graph_status(g);
}

static parn_status dist_bwd_infer(const parn_graph *g, parn_node *n)
{
    const char *op = n->attrs.loss.l1 ? "l1_loss backward" : "l2_loss backward";
    PARN_RETURN_IF(parn_src(g, n, 0)->ndim != 0, PARN_E_SHAPE, "%s: dy must be a scalar, got %s",
                   op, parn_tensor_shape_str(parn_src(g, n, 0)));
    PARN_RETURN_IF(n->attrs.loss.which != 0 && n->attrs.loss.which != 1, PARN_E_INVALID_ARG,
                   "%s: which must be 0 (x) or 1 (target), got %d", op, n->attrs.loss.which);
    PARN_TRY(check_srcs(op, &n->attrs.loss, parn_src(g, n, 1), parn_src(g, n, 2)));
    parn_out_like(n, parn_src(g, n, 1));
    return PARN_OK;
}

const parn_op_def parn_def_dist_loss = {"dist_loss", 2, 2, true, dist_infer, dist_backward};
const parn_op_def parn_def_dist_loss_bwd = {"dist_loss_bwd", 3, 3, false, dist_bwd_infer, NULL};

static int dist_loss(parn_graph *g, int x, int target, parn_reduction r, bool l1)
{
    parn_attrs a = {.loss = {.reduction = r, .l1 = l1}};
    return PARN_APPEND(g, PARN_OP_DIST_LOSS, &a, x, target);
}

int parn_l1_loss(parn_graph *g, int x, int target, parn_reduction r)
{
    return dist_loss(g, x, target, r, true);
}

int parn_l2_loss(parn_graph *g, int x, int target, parn_reduction r)
{
    return dist_loss(g, x, target, r, false);
}
