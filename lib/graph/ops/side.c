/* SPDX-License-Identifier: MIT */
/* Reads a side output (batch statistics, a bias gradient, a dropout mask) as a node. */
#include "op_defs.h"

static parn_status side_infer(const parn_graph *g, parn_node *n)
{
    const parn_node *src = parn_src_node(g, n, 0);
    int k = n->attrs.side.index;
    PARN_RETURN_IF(k < 0 || k >= src->n_side, PARN_E_INVALID_ARG,
                   "side: node '%s' has no side output %d", src->name, k);
    parn_out_like(n, &src->side[k]);
    return PARN_OK;
}

const parn_op_def parn_def_side = {"side", 1, 1, true, side_infer, NULL};

int parn_side(parn_graph *g, int node, int index)
{
    parn_attrs a = {.side = {index}};
    return PARN_APPEND(g, PARN_OP_SIDE, &a, node);
}
