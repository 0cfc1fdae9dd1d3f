/* SPDX-License-Identifier: MIT */
/* STUB: loss_cosine ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_cosine = {"cosine", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_cosine_bwd = {"cosine_bwd", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_cosine(parn_graph *g, int a, int b, float eps)
{
    (void)a;
    (void)b;
    (void)eps;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_cosine: not implemented");
}
