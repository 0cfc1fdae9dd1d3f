/* SPDX-License-Identifier: MIT */
/* Per-row cosine similarity of a and b (N x D) -> N, like F.cosine_similarity(a, b, 1, eps) in
 * PyTorch 1.13: a.b / (max(|a|, eps) * max(|b|, eps)); both inputs are differentiable. */
#include "op_defs.h"

#include <math.h>
#include <stdio.h>

static parn_status check_srcs(const char *op, const parn_loss_attrs *at, const parn_tensor *a,
                              const parn_tensor *b)
{
    PARN_RETURN_IF(!(at->eps > 0.0f) || !isfinite(at->eps), PARN_E_INVALID_ARG,
                   "%s: eps %g must be > 0", op, at->eps);
    PARN_RETURN_IF(a->ndim != 2, PARN_E_SHAPE, "%s: a must be N x D, got %s", op,
                   parn_tensor_shape_str(a));
    if (!parn_tensor_same_dims(a, b)) {
        char as[96];
        snprintf(as, sizeof as, "%s", parn_tensor_shape_str(a));
        return parn__fail(PARN_E_SHAPE, "%s: b %s does not match a %s", op,
                          parn_tensor_shape_str(b), as);
    }
    return PARN_OK;
}

static parn_status cosine_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *a = parn_src(g, n, 0);
    PARN_TRY(check_srcs("cosine", &n->attrs.loss, a, parn_src(g, n, 1)));
    parn_out_dims(n, 1, a->dims);
    return PARN_OK;
}

/* One backward node per src that needs a gradient (which = its index). */
static parn_status cosine_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    parn_attrs a = n->attrs;
    int src[2] = {n->src[0], n->src[1]};
    for (int k = 0; k < 2; k++) {
        if (!parn_graph_node(g, src[k])->requires_grad) continue;
        a.loss.which = k;
        dsrc[k] = PARN_APPEND(g, PARN_OP_COSINE_BWD, &a, dy, src[0], src[1]);
    }
    return parn_graph_status(g);
}

static parn_status cosine_bwd_infer(const parn_graph *g, parn_node *n)
{
    const char *op = "cosine backward";
    const parn_tensor *dy = parn_src(g, n, 0), *a = parn_src(g, n, 1);
    PARN_RETURN_IF(n->attrs.loss.which != 0 && n->attrs.loss.which != 1, PARN_E_INVALID_ARG,
                   "%s: which must be 0 (a) or 1 (b), got %d", op, n->attrs.loss.which);
    PARN_TRY(check_srcs(op, &n->attrs.loss, a, parn_src(g, n, 2)));
    PARN_RETURN_IF(dy->ndim != 1 || dy->dims[0] != a->dims[0], PARN_E_SHAPE,
                   "%s: dy must be a vector of %lld values, got %s", op, (long long)a->dims[0],
                   parn_tensor_shape_str(dy));
    parn_out_like(n, a);
    return PARN_OK;
}

const parn_op_def parn_def_cosine = {"cosine", 2, 2, true, cosine_infer, cosine_backward};
const parn_op_def parn_def_cosine_bwd = {"cosine_bwd", 3, 3, false, cosine_bwd_infer, NULL};

int parn_cosine(parn_graph *g, int a, int b, float eps)
{
    parn_attrs at = {.loss = {.eps = eps}};
    return PARN_APPEND(g, PARN_OP_COSINE, &at, a, b);
}
