/* SPDX-License-Identifier: MIT */
/* STUB: conv ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_conv = {"conv", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_conv_bwd_data = {"conv_bwd_data", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_conv_bwd_weights = {"conv_bwd_weights", 0, PARN_MAX_SRC, false, NULL, NULL};

parn_conv_attrs parn_conv_attrs_default(int rank)
{
    (void)rank;
    return (parn_conv_attrs){0};
}

int parn_conv(parn_graph *g, int x, int w, int b, const parn_conv_attrs *a)
{
    (void)x;
    (void)w;
    (void)b;
    (void)a;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_conv: not implemented");
}
