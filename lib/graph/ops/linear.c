/* SPDX-License-Identifier: MIT */
/* Fully connected layer y = x w^T + b (x: N x IC, w: OC x IC, b: OC) and its gradients: data
 * (dy w) and weights (dy^T x, with the bias gradient as a side output). */
#include "op_defs.h"

static parn_status check_matrix(const char *op, const char *what, const parn_tensor *t)
{
    PARN_RETURN_IF(t->ndim != 2, PARN_E_SHAPE, "%s: %s %s is not 2-D", op, what,
                   parn_tensor_shape_str(t));
    return PARN_OK;
}

static parn_status linear_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0), *w = parn_src(g, n, 1);
    PARN_TRY(check_matrix("linear", "x (reshape it to N x IC first)", x));
    PARN_TRY(check_matrix("linear", "weight", w));
    PARN_RETURN_IF(x->dims[1] != w->dims[1], PARN_E_SHAPE,
                   "linear: x %s has %lld features but the weight %s expects %lld",
                   parn_tensor_shape_str(x), (long long)x->dims[1], parn_tensor_shape_str(w),
                   (long long)w->dims[1]);
    n->attrs.linear.has_bias = n->n_src == 3;
    if (n->n_src == 3) {
        const parn_tensor *b = parn_src(g, n, 2);
        PARN_RETURN_IF(b->ndim != 1 || b->dims[0] != w->dims[0], PARN_E_SHAPE,
                       "linear: bias %s is not [%lld]", parn_tensor_shape_str(b), (long long)w->dims[0]);
    }
    parn_out_dims(n, 2, (int64_t[]){x->dims[0], w->dims[0]});
    return PARN_OK;
}

static parn_status linear_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    int x = n->src[0], w = n->src[1];
    bool has_bias = n->attrs.linear.has_bias;
    parn_attrs ad = {.linear = {.has_bias = has_bias}}, aw = ad;
    const parn_tensor *tx = parn_graph_tensor(g, x), *tw = parn_graph_tensor(g, w);
    for (int i = 0; i < 2; i++) {
        ad.linear.src_dims[i] = tx->dims[i];
        aw.linear.src_dims[i] = tw->dims[i];
    }
    dsrc[0] = PARN_APPEND(g, PARN_OP_LINEAR_BWD_DATA, &ad, dy, w);
    dsrc[1] = PARN_APPEND(g, PARN_OP_LINEAR_BWD_WEIGHTS, &aw, dy, x);
    if (has_bias) dsrc[2] = parn_side(g, dsrc[1], 0);
    return parn_graph_status(g);
}

/* dy (N x OC) against the other src (OC x IC weights or N x IC x) and src_dims. */
static parn_status check_bwd(const char *op, const parn_tensor *dy, const parn_tensor *other,
                             int other_dim, const int64_t *src_dims)
{
    PARN_TRY(check_matrix(op, "dy", dy));
    PARN_TRY(check_matrix(op, "input", other));
    PARN_RETURN_IF(dy->dims[other_dim] != other->dims[0], PARN_E_SHAPE, "%s: dy %s does not match %s",
                   op, parn_tensor_shape_str(dy), parn_tensor_shape_str(other));
    PARN_RETURN_IF(src_dims[0] != dy->dims[1 - other_dim] || src_dims[1] != other->dims[1], PARN_E_SHAPE,
                   "%s: src_dims [%lld, %lld] do not match dy %s", op, (long long)src_dims[0],
                   (long long)src_dims[1], parn_tensor_shape_str(dy));
    return PARN_OK;
}

static parn_status linear_bwd_data_infer(const parn_graph *g, parn_node *n)
{
    const int64_t *sd = n->attrs.linear.src_dims;
    PARN_TRY(check_bwd("linear backward data", parn_src(g, n, 0), parn_src(g, n, 1), 1, sd));
    parn_out_dims(n, 2, sd);
    return PARN_OK;
}

static parn_status linear_bwd_weights_infer(const parn_graph *g, parn_node *n)
{
    const int64_t *sd = n->attrs.linear.src_dims;
    PARN_TRY(check_bwd("linear backward weights", parn_src(g, n, 0), parn_src(g, n, 1), 0, sd));
    parn_out_dims(n, 2, sd);
    n->n_side = n->attrs.linear.has_bias ? 1 : 0;
    n->side[0].ndim = 1;
    n->side[0].dims[0] = sd[0];
    return PARN_OK;
}

const parn_op_def parn_def_linear = {"linear", 2, 3, false, linear_infer, linear_backward};
const parn_op_def parn_def_linear_bwd_data = {"linear_bwd_data", 2, 2, false,
                                              linear_bwd_data_infer, NULL};
const parn_op_def parn_def_linear_bwd_weights = {"linear_bwd_weights", 2, 2, true,
                                                 linear_bwd_weights_infer, NULL};

int parn_linear(parn_graph *g, int x, int w, int b)
{
    parn_attrs a = {.linear = {.has_bias = b >= 0}};
    if (b >= 0) return PARN_APPEND(g, PARN_OP_LINEAR, &a, x, w, b);
    return PARN_APPEND(g, PARN_OP_LINEAR, &a, x, w);
}
