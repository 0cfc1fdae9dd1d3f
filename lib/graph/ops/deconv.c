/* SPDX-License-Identifier: MIT */
/* STUB: deconv ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_deconv = {"deconv", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_deconv_bwd_data = {"deconv_bwd_data", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_deconv_bwd_weights = {"deconv_bwd_weights", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_deconv(parn_graph *g, int x, int w, int b, const parn_conv_attrs *a)
{
    (void)x;
    (void)w;
    (void)b;
    (void)a;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_deconv: not implemented");
}
