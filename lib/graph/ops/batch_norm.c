/* SPDX-License-Identifier: MIT */
/* STUB: batch_norm ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_batch_norm = {"batch_norm", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_batch_norm_bwd = {"batch_norm_bwd", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_batch_norm(parn_graph *g, int x, int gamma, int beta, int running_mean, int running_var, const parn_batch_norm_attrs *a)
{
    (void)x;
    (void)gamma;
    (void)beta;
    (void)running_mean;
    (void)running_var;
    (void)a;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_batch_norm: not implemented");
}
