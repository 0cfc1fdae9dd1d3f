/* SPDX-License-Identifier: MIT */
/* Per-row cosine similarity of a and b (N x D) -> N, like F.cosine_similarity(a, b, 1, eps) in
 * PyTorch 1.13: a.b / (max(|a|, eps) * max(|b|, eps)); both inputs are differentiable. */
#include "loss.h"

#include <math.h>

static parn_status check_srcs(const char *op, const parn_loss_attrs *at, const parn_tensor *a,
                              const parn_tensor *b)
{
    PARN_RETURN_IF(!(at->eps > 0.0f) || !isfinite(at->eps), PARN_E_INVALID_ARG,
                   "%s: eps %g must be > 0", op, at->eps);
    PARN_RETURN_IF(a->ndim != 2, PARN_E_SHAPE, "%s: a must be N x D, got %s", op,
                   parn_tensor_shape_str(a));
    return parn_loss_check_same_dims(op, "a", a, "b", b);
}

static parn_status cosine_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *a = parn_src(g, n, 0);
    PARN_TRY(check_srcs("cosine", &n->attrs.loss, a, parn_src(g, n, 1)));
    parn_out_dims(n, 1, a->dims);
    return PARN_OK;
}

static parn_status cosine_bwd_infer(const parn_graph *g, parn_node *n)
{
    const char *op = "cosine backward";
    const parn_tensor *dy = parn_src(g, n, 0), *a = parn_src(g, n, 1);
    PARN_TRY(parn_loss_check_which(n, op, "a", "b"));
    PARN_TRY(check_srcs(op, &n->attrs.loss, a, parn_src(g, n, 2)));
    PARN_RETURN_IF(dy->ndim != 1 || dy->dims[0] != a->dims[0], PARN_E_SHAPE,
                   "%s: dy must be a vector of %lld values, got %s", op, (long long)a->dims[0],
                   parn_tensor_shape_str(dy));
    parn_out_like(n, a);
    return PARN_OK;
}

const parn_op_def parn_def_cosine = {"cosine", 2, 2, true, cosine_infer, parn_loss_pair_backward};
const parn_op_def parn_def_cosine_bwd = {"cosine_bwd", 3, 3, false, cosine_bwd_infer, NULL};

int parn_cosine(parn_graph *g, int a, int b, float eps)
{
    parn_attrs at = {.loss = {.eps = eps}};
    return PARN_APPEND(g, PARN_OP_COSINE, &at, a, b);
}
