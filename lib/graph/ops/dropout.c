/* SPDX-License-Identifier: MIT */
/* Dropout: in training, keeps each element with probability 1 - p and scales it by 1 / (1 - p);
 * the scaled mask is side output 0, so the gradient is dy times the mask. */
#include "op_defs.h"

static parn_status dropout_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    const parn_dropout_attrs *a = &n->attrs.dropout;
    PARN_RETURN_IF(!(a->p >= 0.0f && a->p < 1.0f), PARN_E_INVALID_ARG,
                   "dropout: probability %g is not in [0, 1)", a->p);
    parn_out_like(n, x);
    n->n_side = a->training ? 1 : 0;
    if (a->training) {
        n->side[0].ndim = x->ndim;
        for (int i = 0; i < x->ndim; i++) n->side[0].dims[i] = x->dims[i];
    }
    return PARN_OK;
}

static parn_status dropout_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    bool training = parn_graph_node(g, node)->attrs.dropout.training;
    dsrc[0] = training ? parn_mul(g, dy, parn_side(g, node, 0)) : dy;
    return parn_graph_status(g);
}

const parn_op_def parn_def_dropout = {"dropout", 1, 1, false, dropout_infer, dropout_backward};

int parn_dropout(parn_graph *g, int x, float p, bool training)
{
    parn_attrs a = {.dropout = {p, training}};
    return PARN_APPEND(g, PARN_OP_DROPOUT, &a, x);
}
