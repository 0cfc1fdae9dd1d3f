/* SPDX-License-Identifier: MIT */
/* STUB: loss_dist ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_dist_loss = {"dist_loss", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_dist_loss_bwd = {"dist_loss_bwd", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_l1_loss(parn_graph *g, int x, int target, parn_reduction r)
{
    (void)x;
    (void)target;
    (void)r;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_l1_loss: not implemented");
}

int parn_l2_loss(parn_graph *g, int x, int target, parn_reduction r)
{
    (void)x;
    (void)target;
    (void)r;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_l2_loss: not implemented");
}
