/* SPDX-License-Identifier: MIT */
/* Checks and the gradient rule shared by the loss definitions (loss_*.c in this folder). */
#ifndef PARN_LOSS_H
#define PARN_LOSS_H

#include "op_defs.h"

/* A loss's checks of its two srcs and its attributes, shared by its forward and backward ops;
 * failures name `op`. */
typedef parn_status (*parn_loss_check_fn)(const char *op, const parn_loss_attrs *a,
                                          const parn_tensor *x, const parn_tensor *t);

/* The reduction is mean or sum. */
parn_status parn_loss_check_reduction(const char *op, const parn_loss_attrs *a);

/* t has the dims of x; the message calls them t_name and x_name. */
parn_status parn_loss_check_same_dims(const char *op, const char *x_name, const parn_tensor *x,
                                      const char *t_name, const parn_tensor *t);

/* An element-wise loss of x against a target: a known reduction, and the target has x's dims. */
parn_status parn_loss_check_target(const char *op, const parn_loss_attrs *a, const parn_tensor *x,
                                   const parn_tensor *t);

/* dy (src 0 of a backward op) of a loss with a scalar output is a scalar. */
parn_status parn_loss_check_scalar_dy(const parn_graph *g, const parn_node *n, const char *op);

/* A backward op of a two-input loss computes the gradient of src `which`: 0 (called name0 in
 * the message) or 1 (name1). */
parn_status parn_loss_check_which(const parn_node *n, const char *op, const char *name0,
                                  const char *name1);

/* Shape inference of the backward op (dy, x, t) of a two-input loss with a scalar output:
 * scalar dy, which in {0, 1}, srcs that pass check; the gradient has x's dims. */
parn_status parn_loss_pair_bwd_infer(const parn_graph *g, parn_node *n, const char *op,
                                     const char *name0, const char *name1,
                                     parn_loss_check_fn check);

/* The gradient rule of a loss whose two srcs are both differentiable: one backward node
 * (dy, x, t) per src that requires a gradient, with which = the src's index. */
parn_status parn_loss_pair_backward(parn_graph *g, int node, int dy, int *dsrc);

#endif
