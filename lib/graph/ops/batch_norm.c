/* SPDX-License-Identifier: MIT */
/* Batch normalisation over N x C (x ...) tensors, PyTorch's F.batch_norm: training mode
 * normalises with the batch statistics and updates the running statistics in place; inference
 * mode uses the running statistics. The statistics used are side outputs (mean, biased
 * variance), which the gradient op reads. The gradient op gives dx, with dgamma and dbeta as
 * its side outputs. */
#include "op_defs.h"

#include <math.h>

static bool is_leaf(const parn_node *n)
{
    return n->op == PARN_OP_INPUT || n->op == PARN_OP_PARAM;
}

/* A per-channel vector: 1-D with C elements. */
static parn_status check_channel_vector(const char *op, const char *what, const parn_tensor *t,
                                        int64_t c)
{
    PARN_RETURN_IF(t->ndim != 1 || t->dims[0] != c, PARN_E_SHAPE, "%s: %s %s is not [%lld]", op,
                   what, parn_tensor_shape_str(t), (long long)c);
    return PARN_OK;
}

/* x's rank, then the attributes. */
static parn_status check_x_and_attrs(const char *op, const parn_tensor *x,
                                     const parn_batch_norm_attrs *a)
{
    PARN_RETURN_IF(x->ndim < 2, PARN_E_SHAPE, "%s: x %s is not N x C (x spatial dims)", op,
                   parn_tensor_shape_str(x));
    PARN_RETURN_IF(!(a->eps > 0.0f) || !isfinite(a->eps), PARN_E_INVALID_ARG,
                   "%s: eps %g must be > 0", op, a->eps);
    PARN_RETURN_IF(!(a->momentum >= 0.0f && a->momentum <= 1.0f), PARN_E_INVALID_ARG,
                   "%s: momentum %g is not in [0, 1]", op, a->momentum);
    return PARN_OK;
}

static void set_stat_sides(parn_node *n, int64_t c)
{
    n->n_side = 2;
    for (int k = 0; k < 2; k++) {
        n->side[k].ndim = 1;
        n->side[k].dims[0] = c;
    }
}

static parn_status bn_infer(const parn_graph *g, parn_node *n)
{
    static const char *const names[] = {"gamma", "beta", "running_mean", "running_var"};
    const parn_tensor *x = parn_src(g, n, 0);
    const parn_batch_norm_attrs *a = &n->attrs.bn;
    PARN_TRY(check_x_and_attrs("batch_norm", x, a));
    int64_t c = x->dims[1];
    for (int i = 1; i < 5; i++)
        PARN_TRY(check_channel_vector("batch_norm", names[i - 1], parn_src(g, n, i), c));
    if (a->training) {
        PARN_RETURN_IF(parn_tensor_numel(x) / c < 2, PARN_E_SHAPE,
                       "batch_norm: training needs more than 1 value per channel, x is %s",
                       parn_tensor_shape_str(x));
        for (int i = 3; i < 5; i++)
            PARN_RETURN_IF(!is_leaf(parn_src_node(g, n, i)), PARN_E_INVALID_ARG,
                           "batch_norm: %s must be an input or parameter (it is updated in place)",
                           names[i - 1]);
    }
    parn_out_like(n, x);
    set_stat_sides(n, c);
    return PARN_OK;
}

static parn_status bn_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    parn_attrs a = n->attrs;
    int bwd = PARN_APPEND(g, PARN_OP_BATCH_NORM_BWD, &a, dy, n->src[0], n->src[1], node);
    dsrc[0] = bwd;
    dsrc[1] = parn_side(g, bwd, 0);
    dsrc[2] = parn_side(g, bwd, 1);
    /* the running statistics get no gradient */
    return parn_graph_status(g);
}

static parn_status bn_bwd_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *dy = parn_src(g, n, 0), *x = parn_src(g, n, 1);
    const parn_node *fwd = parn_src_node(g, n, 3);
    PARN_TRY(check_x_and_attrs("batch_norm backward", x, &n->attrs.bn));
    PARN_RETURN_IF(!parn_tensor_same_dims(dy, x), PARN_E_SHAPE,
                   "batch_norm backward: dy %s does not match x %s", parn_tensor_shape_str(dy),
                   parn_tensor_shape_str(x));
    PARN_TRY(check_channel_vector("batch_norm backward", "gamma", parn_src(g, n, 2), x->dims[1]));
    PARN_RETURN_IF(fwd->op != PARN_OP_BATCH_NORM || !parn_tensor_same_dims(&fwd->out, x),
                   PARN_E_INVALID_ARG,
                   "batch_norm backward: src 3 ('%s') is not a batch_norm node of x's dims", fwd->name);
    parn_out_like(n, x);
    set_stat_sides(n, x->dims[1]);
    return PARN_OK;
}

const parn_op_def parn_def_batch_norm = {"batch_norm", 5, 5, false, bn_infer, bn_backward};
const parn_op_def parn_def_batch_norm_bwd = {"batch_norm_bwd", 4, 4, false, bn_bwd_infer, NULL};

int parn_batch_norm(parn_graph *g, int x, int gamma, int beta, int running_mean, int running_var,
                    const parn_batch_norm_attrs *a)
{
    if (!g) return -1;
    if (!a) return parn_graph_fail(g, PARN_E_INVALID_ARG, "batch_norm: attributes are NULL");
    parn_attrs at = {.bn = *a};
    return PARN_APPEND(g, PARN_OP_BATCH_NORM, &at, x, gamma, beta, running_mean, running_var);
}
