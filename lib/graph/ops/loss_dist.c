/* SPDX-License-Identifier: MIT */
/* L1 and squared-error losses between x and a target of the same dims (F.l1_loss,
 * F.mse_loss); both inputs are differentiable. */
#include "loss.h"

static parn_status dist_infer(const parn_graph *g, parn_node *n)
{
    const char *op = n->attrs.loss.l1 ? "l1_loss" : "l2_loss";
    PARN_TRY(parn_loss_check_target(op, &n->attrs.loss, parn_src(g, n, 0), parn_src(g, n, 1)));
    n->out.ndim = 0;
    return PARN_OK;
}

static parn_status dist_bwd_infer(const parn_graph *g, parn_node *n)
{
    const char *op = n->attrs.loss.l1 ? "l1_loss backward" : "l2_loss backward";
    return parn_loss_pair_bwd_infer(g, n, op, "x", "target", parn_loss_check_target);
}

const parn_op_def parn_def_dist_loss = {"dist_loss", 2, 2, true, dist_infer,
                                        parn_loss_pair_backward};
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
