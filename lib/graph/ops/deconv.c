/* SPDX-License-Identifier: MIT */
/* Transposed convolution (PyTorch's ConvTranspose2d/3d); its geometry, shape inference and
 * gradient rule are shared with convolution in conv.c. */
#include "conv_common.h"

const parn_op_def parn_def_deconv = {"deconv", 2, 3, false, parn_convlike_infer,
                                     parn_convlike_backward};
const parn_op_def parn_def_deconv_bwd_data = {"deconv_bwd_data", 2, 2, false,
                                              parn_convlike_bwd_data_infer, NULL};
const parn_op_def parn_def_deconv_bwd_weights = {"deconv_bwd_weights", 2, 2, true,
                                                 parn_convlike_bwd_weights_infer, NULL};

int parn_deconv(parn_graph *g, int x, int w, int b, const parn_conv_attrs *a)
{
    return parn_convlike_build(g, PARN_OP_DECONV, x, w, b, a);
}
