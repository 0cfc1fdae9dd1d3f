/* SPDX-License-Identifier: MIT */
/* Checks and the gradient rule shared by the loss definitions (see loss.h). */
#include "loss.h"

#include <stdio.h>

parn_status parn_loss_check_reduction(const char *op, const parn_loss_attrs *a)
{
    PARN_RETURN_IF(a->reduction != PARN_REDUCE_MEAN && a->reduction != PARN_REDUCE_SUM,
                   PARN_E_INVALID_ARG, "%s: unknown reduction %d", op, (int)a->reduction);
    return PARN_OK;
}

parn_status parn_loss_check_same_dims(const char *op, const char *x_name, const parn_tensor *x,
                                      const char *t_name, const parn_tensor *t)
{
    if (parn_tensor_same_dims(x, t)) return PARN_OK;
    /* parn_tensor_shape_str reuses one buffer, so keep a copy of the first shape */
    char xs[96];
    snprintf(xs, sizeof xs, "%s", parn_tensor_shape_str(x));
    return parn__fail(PARN_E_SHAPE, "%s: %s %s does not match %s %s", op, t_name,
                      parn_tensor_shape_str(t), x_name, xs);
}

parn_status parn_loss_check_target(const char *op, const parn_loss_attrs *a, const parn_tensor *x,
                                   const parn_tensor *t)
{
    PARN_TRY(parn_loss_check_reduction(op, a));
    return parn_loss_check_same_dims(op, "x", x, "target", t);
}

parn_status parn_loss_check_scalar_dy(const parn_graph *g, const parn_node *n, const char *op)
{
    PARN_RETURN_IF(parn_src(g, n, 0)->ndim != 0, PARN_E_SHAPE, "%s: dy must be a scalar, got %s",
                   op, parn_tensor_shape_str(parn_src(g, n, 0)));
    return PARN_OK;
}

parn_status parn_loss_check_which(const parn_node *n, const char *op, const char *name0,
                                  const char *name1)
{
    PARN_RETURN_IF(n->attrs.loss.which != 0 && n->attrs.loss.which != 1, PARN_E_INVALID_ARG,
                   "%s: which must be 0 (%s) or 1 (%s), got %d", op, name0, name1,
                   n->attrs.loss.which);
    return PARN_OK;
}

parn_status parn_loss_pair_bwd_infer(const parn_graph *g, parn_node *n, const char *op,
                                     const char *name0, const char *name1,
                                     parn_loss_check_fn check)
{
    PARN_TRY(parn_loss_check_scalar_dy(g, n, op));
    PARN_TRY(parn_loss_check_which(n, op, name0, name1));
    PARN_TRY(check(op, &n->attrs.loss, parn_src(g, n, 1), parn_src(g, n, 2)));
    parn_out_like(n, parn_src(g, n, 1));
    return PARN_OK;
}

/* The backward op of each loss that uses parn_loss_pair_backward. */
static parn_op_type backward_op_of(parn_op_type op)
{
    switch (op) {
    case PARN_OP_BCE_LOGITS: return PARN_OP_BCE_LOGITS_BWD;
    case PARN_OP_DIST_LOSS: return PARN_OP_DIST_LOSS_BWD;
    case PARN_OP_SSIM: return PARN_OP_SSIM_BWD;
    case PARN_OP_COSINE: return PARN_OP_COSINE_BWD;
    default: return PARN_OP__COUNT;
    }
}

parn_status parn_loss_pair_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    parn_op_type bwd = backward_op_of(n->op);
    PARN_RETURN_IF(bwd == PARN_OP__COUNT, PARN_E_INTERNAL,
                   "loss: op %d has no two-input backward op", (int)n->op);
    parn_attrs a = n->attrs;
    int src[2] = {n->src[0], n->src[1]};
    for (int k = 0; k < 2; k++) {
        if (!parn_graph_node(g, src[k])->requires_grad) continue;
        a.loss.which = k;
        dsrc[k] = PARN_APPEND(g, bwd, &a, dy, src[0], src[1]);
    }
    return parn_graph_status(g);
}
