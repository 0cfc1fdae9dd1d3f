/* SPDX-License-Identifier: MIT */
/* Elementwise add, sub and mul with numpy broadcasting, and y = alpha * x + beta. */
#include "op_defs.h"

static const char *const binary_names[] = {"add", "sub", "mul"};

static parn_status binary_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *a = parn_src(g, n, 0), *b = parn_src(g, n, 1);
    int kind = n->attrs.binary.kind;
    PARN_RETURN_IF(kind < PARN_BINARY_ADD || kind > PARN_BINARY_MUL, PARN_E_INVALID_ARG,
                   "binary: unknown kind %d", kind);
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    n->out.ndim = nd;
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        PARN_RETURN_IF(da != db && da != 1 && db != 1, PARN_E_SHAPE,
                       "%s: shapes %s and %s do not broadcast", binary_names[kind],
                       parn_tensor_shape_str(a), parn_tensor_shape_str(b));
        n->out.dims[i] = da > db ? da : db;
    }
    return PARN_OK;
}

static parn_status binary_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    int a = n->src[0], b = n->src[1];
    parn_binary_kind kind = n->attrs.binary.kind;
    parn_tensor ta = *parn_graph_tensor(g, a), tb = *parn_graph_tensor(g, b);
    int ga = dy, gb = dy;
    if (kind == PARN_BINARY_SUB) gb = parn_affine(g, dy, -1.0f, 0.0f);
    if (kind == PARN_BINARY_MUL) {
        ga = parn_mul(g, dy, b);
        gb = parn_mul(g, dy, a);
    }
    dsrc[0] = parn_sum_to(g, ga, ta.ndim, ta.dims);
    dsrc[1] = parn_sum_to(g, gb, tb.ndim, tb.dims);
    return parn_graph_status(g);
}

static parn_status affine_infer(const parn_graph *g, parn_node *n)
{
    parn_out_like(n, parn_src(g, n, 0));
    return PARN_OK;
}

static parn_status affine_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    dsrc[0] = parn_affine(g, dy, parn_graph_node(g, node)->attrs.affine.alpha, 0.0f);
    return parn_graph_status(g);
}

const parn_op_def parn_def_binary = {"binary", 2, 2, false, binary_infer, binary_backward};
const parn_op_def parn_def_affine = {"affine", 1, 1, false, affine_infer, affine_backward};

static int binary(parn_graph *g, parn_binary_kind kind, int a, int b)
{
    parn_attrs at = {.binary = {kind}};
    return PARN_APPEND(g, PARN_OP_BINARY, &at, a, b);
}

int parn_add(parn_graph *g, int a, int b)
{
    return binary(g, PARN_BINARY_ADD, a, b);
}

int parn_sub(parn_graph *g, int a, int b)
{
    return binary(g, PARN_BINARY_SUB, a, b);
}

int parn_mul(parn_graph *g, int a, int b)
{
    return binary(g, PARN_BINARY_MUL, a, b);
}

int parn_affine(parn_graph *g, int x, float alpha, float beta)
{
    parn_attrs at = {.affine = {alpha, beta}};
    return PARN_APPEND(g, PARN_OP_AFFINE, &at, x);
}
