/* SPDX-License-Identifier: MIT */
/* Geometry shared by convolution (conv.c) and transposed convolution (deconv.c); the
 * functions live in conv.c and tell the two apart by the node's op. */
#ifndef PARN_CONV_COMMON_H
#define PARN_CONV_COMMON_H

#include "op_defs.h"

/* Shape inference of CONV / DECONV, of their *_BWD_DATA and of their *_BWD_WEIGHTS nodes. */
parn_status parn_convlike_infer(const parn_graph *g, parn_node *n);
parn_status parn_convlike_bwd_data_infer(const parn_graph *g, parn_node *n);
parn_status parn_convlike_bwd_weights_infer(const parn_graph *g, parn_node *n);

/* The gradient rule of CONV / DECONV: dx from *_BWD_DATA, dw from *_BWD_WEIGHTS and db from
 * the latter's side output 0. */
parn_status parn_convlike_backward(parn_graph *g, int node, int dy, int *dsrc);

/* Appends a CONV or DECONV node after checking the builder's arguments; b = -1: no bias. */
int parn_convlike_build(parn_graph *g, parn_op_type op, int x, int w, int b,
                        const parn_conv_attrs *a);

#endif
