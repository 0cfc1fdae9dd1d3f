/* SPDX-License-Identifier: MIT */
/* Activations: ReLU, leaky ReLU, sigmoid, tanh, clip (ReLU6). The gradient is computed from
 * the output y, so x need not be kept for the backward pass. */
#include "op_defs.h"

static parn_status act_infer(const parn_graph *g, parn_node *n)
{
    const parn_act_attrs *a = &n->attrs.act;
    PARN_RETURN_IF(a->kind < PARN_ACT_RELU || a->kind > PARN_ACT_CLIP, PARN_E_INVALID_ARG,
                   "act: unknown activation %d", (int)a->kind);
    PARN_RETURN_IF(a->kind == PARN_ACT_LEAKY_RELU && !(a->alpha >= 0.0f), PARN_E_INVALID_ARG,
                   "act: leaky ReLU slope %g must be >= 0", a->alpha);
    PARN_RETURN_IF(a->kind == PARN_ACT_CLIP && !(a->alpha < a->beta), PARN_E_INVALID_ARG,
                   "act: clip range [%g, %g] is empty", a->alpha, a->beta);
    parn_out_like(n, parn_src(g, n, 0));
    return PARN_OK;
}

static parn_status act_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_attrs a = parn_graph_node(g, node)->attrs;
    dsrc[0] = PARN_APPEND(g, PARN_OP_ACT_BWD, &a, dy, node);
    return parn_graph_status(g);
}

static parn_status act_bwd_infer(const parn_graph *g, parn_node *n)
{
    PARN_RETURN_IF(!parn_tensor_same_dims(parn_src(g, n, 0), parn_src(g, n, 1)), PARN_E_SHAPE,
                   "act backward: dy %s does not match y", parn_tensor_shape_str(parn_src(g, n, 0)));
    parn_out_like(n, parn_src(g, n, 0));
    return PARN_OK;
}

const parn_op_def parn_def_act = {"act", 1, 1, false, act_infer, act_backward};
const parn_op_def parn_def_act_bwd = {"act_bwd", 2, 2, false, act_bwd_infer, NULL};

int parn_act(parn_graph *g, int x, parn_act_kind kind, float alpha, float beta)
{
    parn_attrs a = {.act = {kind, alpha, beta}};
    return PARN_APPEND(g, PARN_OP_ACT, &a, x);
}

int parn_relu(parn_graph *g, int x)
{
    return parn_act(g, x, PARN_ACT_RELU, 0.0f, 0.0f);
}

int parn_leaky_relu(parn_graph *g, int x, float slope)
{
    return parn_act(g, x, PARN_ACT_LEAKY_RELU, slope, 0.0f);
}

int parn_sigmoid(parn_graph *g, int x)
{
    return parn_act(g, x, PARN_ACT_SIGMOID, 0.0f, 0.0f);
}

int parn_tanh(parn_graph *g, int x)
{
    return parn_act(g, x, PARN_ACT_TANH, 0.0f, 0.0f);
}

int parn_clip(parn_graph *g, int x, float lo, float hi)
{
    return parn_act(g, x, PARN_ACT_CLIP, lo, hi);
}
