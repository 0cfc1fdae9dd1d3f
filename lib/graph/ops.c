/* SPDX-License-Identifier: MIT */
/* The table of op definitions; each op family defines its entries in lib/graph/ops/. */
#include "ops/op_defs.h"

static const parn_op_def leaf_def = {"leaf", 0, 0, true, NULL, NULL};

static const parn_op_def *const defs[PARN_OP__COUNT] = {
    [PARN_OP_INPUT] = &leaf_def,
    [PARN_OP_PARAM] = &leaf_def,
    [PARN_OP_CONV] = &parn_def_conv,
    [PARN_OP_CONV_BWD_DATA] = &parn_def_conv_bwd_data,
    [PARN_OP_CONV_BWD_WEIGHTS] = &parn_def_conv_bwd_weights,
    [PARN_OP_DECONV] = &parn_def_deconv,
    [PARN_OP_DECONV_BWD_DATA] = &parn_def_deconv_bwd_data,
    [PARN_OP_DECONV_BWD_WEIGHTS] = &parn_def_deconv_bwd_weights,
    [PARN_OP_POOL] = &parn_def_pool,
    [PARN_OP_POOL_BWD] = &parn_def_pool_bwd,
    [PARN_OP_BATCH_NORM] = &parn_def_batch_norm,
    [PARN_OP_BATCH_NORM_BWD] = &parn_def_batch_norm_bwd,
    [PARN_OP_LINEAR] = &parn_def_linear,
    [PARN_OP_LINEAR_BWD_DATA] = &parn_def_linear_bwd_data,
    [PARN_OP_LINEAR_BWD_WEIGHTS] = &parn_def_linear_bwd_weights,
    [PARN_OP_ACT] = &parn_def_act,
    [PARN_OP_ACT_BWD] = &parn_def_act_bwd,
    [PARN_OP_SOFTMAX] = &parn_def_softmax,
    [PARN_OP_SOFTMAX_BWD] = &parn_def_softmax_bwd,
    [PARN_OP_BINARY] = &parn_def_binary,
    [PARN_OP_AFFINE] = &parn_def_affine,
    [PARN_OP_REDUCE] = &parn_def_reduce,
    [PARN_OP_EXPAND] = &parn_def_expand,
    [PARN_OP_CONCAT] = &parn_def_concat,
    [PARN_OP_SLICE] = &parn_def_slice,
    [PARN_OP_PAD] = &parn_def_pad,
    [PARN_OP_RESHAPE] = &parn_def_reshape,
    [PARN_OP_PERMUTE] = &parn_def_permute,
    [PARN_OP_RESIZE] = &parn_def_resize,
    [PARN_OP_RESIZE_BWD] = &parn_def_resize_bwd,
    [PARN_OP_DROPOUT] = &parn_def_dropout,
    [PARN_OP_SIDE] = &parn_def_side,
    [PARN_OP_CROSS_ENTROPY] = &parn_def_cross_entropy,
    [PARN_OP_CROSS_ENTROPY_BWD] = &parn_def_cross_entropy_bwd,
    [PARN_OP_BCE_LOGITS] = &parn_def_bce_logits,
    [PARN_OP_BCE_LOGITS_BWD] = &parn_def_bce_logits_bwd,
    [PARN_OP_DIST_LOSS] = &parn_def_dist_loss,
    [PARN_OP_DIST_LOSS_BWD] = &parn_def_dist_loss_bwd,
    [PARN_OP_SSIM] = &parn_def_ssim,
    [PARN_OP_SSIM_BWD] = &parn_def_ssim_bwd,
    [PARN_OP_COSINE] = &parn_def_cosine,
    [PARN_OP_COSINE_BWD] = &parn_def_cosine_bwd,
};

const parn_op_def *parn_op_def_of(parn_op_type op)
{
    return (int)op >= 0 && op < PARN_OP__COUNT ? defs[op] : NULL;
}
