/* SPDX-License-Identifier: MIT */
/* Max and average pooling over 2 or 3 spatial dims (asymmetric padding, PyTorch's
 * count_include_pad), global pooling, and the pooling gradient. */
#include "op_defs.h"

/* Checks the attributes and x's rank; fills the spatial output sizes. */
static parn_status pool_shape(const char *op, const parn_pool_attrs *a, const parn_tensor *x,
                              int64_t *out)
{
    PARN_RETURN_IF(a->rank != 2 && a->rank != 3, PARN_E_INVALID_ARG,
                   "%s: rank %d is not 2 or 3", op, a->rank);
    PARN_RETURN_IF(x->ndim != a->rank + 2, PARN_E_SHAPE,
                   "%s: x %s is not %d-D (N, C and %d spatial dims)", op, parn_tensor_shape_str(x),
                   a->rank + 2, a->rank);
    for (int i = 0; i < a->rank; i++) {
        PARN_RETURN_IF(a->kernel[i] < 1 || a->stride[i] < 1, PARN_E_INVALID_ARG,
                       "%s: kernel %d and stride %d of spatial dim %d must be >= 1", op,
                       a->kernel[i], a->stride[i], i);
        /* A window lying wholly in the padding would average nothing or find no maximum. */
        PARN_RETURN_IF(a->pad_lo[i] < 0 || a->pad_hi[i] < 0 || a->pad_lo[i] >= a->kernel[i] ||
                           a->pad_hi[i] >= a->kernel[i],
                       PARN_E_INVALID_ARG,
                       "%s: padding %d/%d of spatial dim %d must be in [0, kernel %d)", op,
                       a->pad_lo[i], a->pad_hi[i], i, a->kernel[i]);
        int64_t span = x->dims[2 + i] + a->pad_lo[i] + a->pad_hi[i];
        PARN_RETURN_IF(span < a->kernel[i], PARN_E_SHAPE,
                       "%s: kernel %d is larger than padded spatial dim %d (%lld) of x %s", op,
                       a->kernel[i], i, (long long)span, parn_tensor_shape_str(x));
        out[i] = (span - a->kernel[i]) / a->stride[i] + 1;
    }
    return PARN_OK;
}

static parn_status pool_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    int64_t spatial[3];
    PARN_TRY(pool_shape("pool", &n->attrs.pool, x, spatial));
    int64_t dims[5] = {x->dims[0], x->dims[1], spatial[0], spatial[1], spatial[2]};
    parn_out_dims(n, x->ndim, dims);
    return PARN_OK;
}

static parn_status pool_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    parn_attrs a = n->attrs;
    const parn_tensor *x = parn_graph_tensor(g, n->src[0]);
    for (int i = 0; i < x->ndim; i++) a.pool.src_dims[i] = x->dims[i];
    dsrc[0] = PARN_APPEND(g, PARN_OP_POOL_BWD, &a, dy, n->src[0], node);
    return parn_graph_status(g);
}

static parn_status pool_bwd_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *dy = parn_src(g, n, 0), *x = parn_src(g, n, 1);
    const parn_node *fwd = parn_src_node(g, n, 2);
    PARN_RETURN_IF(fwd->op != PARN_OP_POOL, PARN_E_INVALID_ARG,
                   "pool backward: src 2 ('%s') is not a pool node", fwd->name);
    PARN_RETURN_IF(!parn_tensor_same_dims(dy, &fwd->out), PARN_E_SHAPE,
                   "pool backward: dy %s does not match y %s", parn_tensor_shape_str(dy),
                   parn_tensor_shape_str(&fwd->out));
    int64_t spatial[3];
    PARN_TRY(pool_shape("pool backward", &n->attrs.pool, x, spatial));
    for (int i = 0; i < x->ndim; i++)
        PARN_RETURN_IF(n->attrs.pool.src_dims[i] != x->dims[i], PARN_E_SHAPE,
                       "pool backward: src_dims do not match x %s", parn_tensor_shape_str(x));
    parn_out_like(n, x);
    return PARN_OK;
}

const parn_op_def parn_def_pool = {"pool", 1, 1, false, pool_infer, pool_backward};
const parn_op_def parn_def_pool_bwd = {"pool_bwd", 3, 3, false, pool_bwd_infer, NULL};

parn_pool_attrs parn_pool_attrs_default(int rank, bool max, int kernel)
{
    parn_pool_attrs a = {.rank = rank, .max = max, .count_include_pad = true};
    for (int i = 0; i < 3; i++) a.kernel[i] = a.stride[i] = i < rank ? kernel : 1;
    return a;
}

int parn_pool(parn_graph *g, int x, const parn_pool_attrs *a)
{
    if (!g) return -1;
    if (!a) return parn_graph_fail(g, PARN_E_INVALID_ARG, "pool: attributes are NULL");
    parn_attrs at = {.pool = *a};
    return PARN_APPEND(g, PARN_OP_POOL, &at, x);
}

int parn_global_pool(parn_graph *g, int x, bool max)
{
    if (!g || parn_graph_status(g) != PARN_OK) return -1;
    const parn_tensor *t = parn_graph_tensor(g, x);
    if (!t) return parn_graph_fail(g, PARN_E_INVALID_ARG, "global_pool: input is not a node (%d)", x);
    if (t->ndim != 4 && t->ndim != 5)
        return parn_graph_fail(g, PARN_E_SHAPE, "global_pool: x %s is not 4-D or 5-D",
                               parn_tensor_shape_str(t));
    parn_pool_attrs a = parn_pool_attrs_default(t->ndim - 2, max, 1);
    for (int i = 0; i < a.rank; i++) {
        if (t->dims[2 + i] > INT32_MAX)
            return parn_graph_fail(g, PARN_E_SHAPE, "global_pool: spatial dim %d is too large", i);
        a.kernel[i] = a.stride[i] = (int)t->dims[2 + i];
    }
    return parn_pool(g, x, &a);
}
