/* SPDX-License-Identifier: MIT */
/* Every op definition, and helpers shared by the definitions in this folder. */
#ifndef PARN_OP_DEFS_H
#define PARN_OP_DEFS_H

#include "graph/graph.h"

extern const parn_op_def parn_def_conv;
extern const parn_op_def parn_def_conv_bwd_data;
extern const parn_op_def parn_def_conv_bwd_weights;
extern const parn_op_def parn_def_deconv;
extern const parn_op_def parn_def_deconv_bwd_data;
extern const parn_op_def parn_def_deconv_bwd_weights;
extern const parn_op_def parn_def_pool;
extern const parn_op_def parn_def_pool_bwd;
extern const parn_op_def parn_def_batch_norm;
extern const parn_op_def parn_def_batch_norm_bwd;
extern const parn_op_def parn_def_linear;
extern const parn_op_def parn_def_linear_bwd_data;
extern const parn_op_def parn_def_linear_bwd_weights;
extern const parn_op_def parn_def_act;
extern const parn_op_def parn_def_act_bwd;
extern const parn_op_def parn_def_softmax;
extern const parn_op_def parn_def_softmax_bwd;
extern const parn_op_def parn_def_binary;
extern const parn_op_def parn_def_affine;
extern const parn_op_def parn_def_reduce;
extern const parn_op_def parn_def_expand;
extern const parn_op_def parn_def_concat;
extern const parn_op_def parn_def_slice;
extern const parn_op_def parn_def_pad;
extern const parn_op_def parn_def_reshape;
extern const parn_op_def parn_def_permute;
extern const parn_op_def parn_def_resize;
extern const parn_op_def parn_def_resize_bwd;
extern const parn_op_def parn_def_dropout;
extern const parn_op_def parn_def_side;
extern const parn_op_def parn_def_cross_entropy;
extern const parn_op_def parn_def_cross_entropy_bwd;
extern const parn_op_def parn_def_bce_logits;
extern const parn_op_def parn_def_bce_logits_bwd;
extern const parn_op_def parn_def_dist_loss;
extern const parn_op_def parn_def_dist_loss_bwd;
extern const parn_op_def parn_def_ssim;
extern const parn_op_def parn_def_ssim_bwd;
extern const parn_op_def parn_def_cosine;
extern const parn_op_def parn_def_cosine_bwd;

/* Copies dims of t into n's output. */
static inline void parn_out_like(parn_node *n, const parn_tensor *t)
{
    n->out.ndim = t->ndim;
    for (int i = 0; i < t->ndim; i++) n->out.dims[i] = t->dims[i];
}

/* Sets n's output dims from an array. */
static inline void parn_out_dims(parn_node *n, int ndim, const int64_t *dims)
{
    n->out.ndim = ndim;
    for (int i = 0; i < ndim; i++) n->out.dims[i] = dims[i];
}

/* Appends an op node from a list of srcs and attributes (a shorter spelling for builders). */
#define PARN_APPEND(g, op, attrs, ...)                                                         \
    parn_graph_append((g), (op), (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)),            \
                      (int[]){__VA_ARGS__}, (attrs))

#endif
