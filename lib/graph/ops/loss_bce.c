/* SPDX-License-Identifier: MIT */
/* Binary cross-entropy on logits against a target of the same dims
 * (F.binary_cross_entropy_with_logits); both x and the target are differentiable. */
#include "loss.h"

static parn_status bce_infer(const parn_graph *g, parn_node *n)
{
    PARN_TRY(parn_loss_check_target("bce_logits", &n->attrs.loss, parn_src(g, n, 0),
                                    parn_src(g, n, 1)));
    n->out.ndim = 0;
    return PARN_OK;
}

static parn_status bce_bwd_infer(const parn_graph *g, parn_node *n)
{
    return parn_loss_pair_bwd_infer(g, n, "bce_logits backward", "x", "target",
                                    parn_loss_check_target);
}

const parn_op_def parn_def_bce_logits = {"bce_logits", 2, 2, true, bce_infer,
                                         parn_loss_pair_backward};
const parn_op_def parn_def_bce_logits_bwd = {"bce_logits_bwd", 3, 3, false, bce_bwd_infer, NULL};

int parn_bce_logits(parn_graph *g, int x, int target, parn_reduction r)
{
    parn_attrs a = {.loss = {.reduction = r}};
    return PARN_APPEND(g, PARN_OP_BCE_LOGITS, &a, x, target);
}
