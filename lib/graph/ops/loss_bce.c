/* SPDX-License-Identifier: MIT */
/* STUB: loss_bce ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_bce_logits = {"bce_logits", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_bce_logits_bwd = {"bce_logits_bwd", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_bce_logits(parn_graph *g, int x, int target, parn_reduction r)
{
    (void)x;
    (void)target;
    (void)r;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_bce_logits: not implemented");
}
