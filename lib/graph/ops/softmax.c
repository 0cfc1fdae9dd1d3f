/* SPDX-License-Identifier: MIT */
/* STUB: softmax ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_softmax = {"softmax", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_softmax_bwd = {"softmax_bwd", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_softmax(parn_graph *g, int x, int axis, bool log)
{
    (void)x;
    (void)axis;
    (void)log;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_softmax: not implemented");
}
