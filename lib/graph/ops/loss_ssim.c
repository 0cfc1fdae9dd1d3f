/* SPDX-License-Identifier: MIT */
/* STUB: loss_ssim ops are not implemented yet. */
#include "op_defs.h"

const parn_op_def parn_def_ssim = {"ssim", 0, PARN_MAX_SRC, false, NULL, NULL};
const parn_op_def parn_def_ssim_bwd = {"ssim_bwd", 0, PARN_MAX_SRC, false, NULL, NULL};

int parn_ssim(parn_graph *g, int x, int y, int window, float sigma)
{
    (void)x;
    (void)y;
    (void)window;
    (void)sigma;
    return parn_graph_fail(g, PARN_E_UNSUPPORTED, "parn_ssim: not implemented");
}
