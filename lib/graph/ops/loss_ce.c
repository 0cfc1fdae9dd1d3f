/* SPDX-License-Identifier: MIT */
/* STUB: loss_ce ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_cross_entropy = {"cross_entropy", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_cross_entropy_bwd = {"cross_entropy_bwd", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_cross_entropy(parn_graph *g, int logits, int labels, parn_reduction r)
{
    (void)logits;
    (void)labels;
    (void)r;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_cross_entropy: not implemented");
}
