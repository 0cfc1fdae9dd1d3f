/* SPDX-License-Identifier: MIT */
/* STUB: linear ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_linear = {"linear", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_linear_bwd_data = {"linear_bwd_data", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_linear_bwd_weights = {"linear_bwd_weights", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_linear(parn_graph *g, int x, int w, int b)
{
    (void)x;
    (void)w;
    (void)b;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_linear: not implemented");
}
