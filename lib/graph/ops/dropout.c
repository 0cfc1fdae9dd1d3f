/* SPDX-License-Identifier: MIT */
/* STUB: dropout ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_dropout = {"dropout", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_dropout(parn_graph *g, int x, float p, bool training)
{
    (void)x;
    (void)p;
    (void)training;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_dropout: not implemented");
}
