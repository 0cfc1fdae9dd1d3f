/* SPDX-License-Identifier: MIT */
/* STUB: resize ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_resize = {"resize", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_resize_bwd = {"resize_bwd", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_resize_bilinear(parn_graph *g, int x, int64_t out_h, int64_t out_w, bool align_corners)
{
    (void)x;
    (void)out_h;
    (void)out_w;
    (void)align_corners;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_resize_bilinear: not implemented");
}
