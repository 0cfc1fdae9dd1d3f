/* SPDX-License-Identifier: MIT */
/* Layout plumbing: concat, slice (and split), constant pad, reshape. Slice and pad are each
 * other's gradient; concat's gradient is one slice per input. */
#include "op_defs.h"

#include <stdio.h>

static parn_status concat_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *x0 = parn_src(g, n, 0);
    int axis = n->attrs.shape.axis;
    PARN_RETURN_IF(axis < 0 || axis >= x0->ndim, PARN_E_INVALID_ARG,
                   "concat: axis %d is out of range for %s", axis, parn_tensor_shape_str(x0));
    parn_out_like(n, x0);
    for (int k = 1; k < n->n_src; k++) {
        const parn_tensor *x = parn_src(g, n, k);
        bool fits = x->ndim == x0->ndim;
        for (int i = 0; fits && i < x->ndim; i++) fits = i == axis || x->dims[i] == x0->dims[i];
        if (fits) {
            n->out.dims[axis] += x->dims[axis];
            continue;
        }
        char first[96]; /* parn_tensor_shape_str reuses one buffer */
        snprintf(first, sizeof first, "%s", parn_tensor_shape_str(x0));
        return parn__fail(PARN_E_SHAPE, "concat: input %d %s does not match input 0 %s off axis %d",
                          k, parn_tensor_shape_str(x), first, axis);
    }
    return PARN_OK;
}

static parn_status concat_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node n = *parn_graph_node(g, node); /* appending may move the node array */
    int axis = n.attrs.shape.axis;
    int64_t start[PARN_MAX_DIMS] = {0};
    for (int k = 0; k < n.n_src; k++) {
        const parn_tensor *x = parn_graph_tensor(g, n.src[k]);
        int64_t sizes[PARN_MAX_DIMS] = {0};
        for (int i = 0; i < x->ndim; i++) sizes[i] = x->dims[i];
        dsrc[k] = parn_slice(g, dy, start, sizes);
        start[axis] += sizes[axis];
    }
    return parn_graph_status(g);
}

static parn_status slice_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    const parn_shape_attrs *a = &n->attrs.shape;
    PARN_RETURN_IF(a->ndim != x->ndim, PARN_E_SHAPE, "slice: box has rank %d, input %s", a->ndim,
                   parn_tensor_shape_str(x));
    for (int i = 0; i < x->ndim; i++)
        PARN_RETURN_IF(a->start[i] < 0 || a->dims[i] < 1 || a->start[i] > x->dims[i] - a->dims[i],
                       PARN_E_SHAPE, "slice: dim %d: [%lld, %lld + %lld) is not inside %s", i,
                       (long long)a->start[i], (long long)a->start[i], (long long)a->dims[i],
                       parn_tensor_shape_str(x));
    parn_out_dims(n, a->ndim, a->dims);
    return PARN_OK;
}

static parn_status slice_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    const parn_tensor *x = parn_src(g, n, 0);
    int64_t lo[PARN_MAX_DIMS], hi[PARN_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) {
        lo[i] = n->attrs.shape.start[i];
        hi[i] = x->dims[i] - lo[i] - n->attrs.shape.dims[i];
    }
    dsrc[0] = parn_pad(g, dy, lo, hi, 0.0f);
    return parn_graph_status(g);
}

static parn_status pad_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    const parn_shape_attrs *a = &n->attrs.shape;
    PARN_RETURN_IF(a->ndim != x->ndim, PARN_E_SHAPE, "pad: padding has rank %d, input %s", a->ndim,
                   parn_tensor_shape_str(x));
    n->out.ndim = x->ndim;
    for (int i = 0; i < x->ndim; i++) {
        PARN_RETURN_IF(a->lo[i] < 0 || a->hi[i] < 0 || a->lo[i] > INT32_MAX || a->hi[i] > INT32_MAX,
                       PARN_E_INVALID_ARG, "pad: dim %d: padding (%lld, %lld) must be in [0, 2^31)",
                       i, (long long)a->lo[i], (long long)a->hi[i]);
        n->out.dims[i] = x->dims[i] + a->lo[i] + a->hi[i];
    }
    return PARN_OK;
}

static parn_status pad_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    int64_t start[PARN_MAX_DIMS], sizes[PARN_MAX_DIMS];
    const parn_tensor *x = parn_src(g, n, 0);
    for (int i = 0; i < x->ndim; i++) {
        start[i] = n->attrs.shape.lo[i];
        sizes[i] = x->dims[i];
    }
    dsrc[0] = parn_slice(g, dy, start, sizes);
    return parn_graph_status(g);
}

static parn_status reshape_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    const parn_shape_attrs *a = &n->attrs.shape;
    int64_t numel = 1;
    for (int i = 0; i < a->ndim; i++) {
        PARN_RETURN_IF(a->dims[i] < 1 || a->dims[i] > parn_tensor_numel(x), PARN_E_SHAPE,
                       "reshape: dim %d = %lld is invalid for %s", i, (long long)a->dims[i],
                       parn_tensor_shape_str(x));
        numel *= a->dims[i];
    }
    PARN_RETURN_IF(numel != parn_tensor_numel(x), PARN_E_SHAPE,
                   "reshape: %s has %lld elements, the target %lld", parn_tensor_shape_str(x),
                   (long long)parn_tensor_numel(x), (long long)numel);
    parn_out_dims(n, a->ndim, a->dims);
    return PARN_OK;
}

static parn_status reshape_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_tensor x = *parn_src(g, parn_graph_node(g, node), 0);
    dsrc[0] = parn_reshape(g, dy, x.ndim, x.dims);
    return parn_graph_status(g);
}

static parn_status permute_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    const int *perm = n->attrs.shape.perm;
    unsigned seen = 0;
    n->out.ndim = x->ndim;
    for (int i = 0; i < x->ndim; i++) {
        PARN_RETURN_IF(perm[i] < 0 || perm[i] >= x->ndim || (seen & (1u << perm[i])),
                       PARN_E_INVALID_ARG, "permute: entry %d (%d) does not make a permutation of %d dims",
                       i, perm[i], x->ndim);
        seen |= 1u << perm[i];
        n->out.dims[i] = x->dims[perm[i]];
    }
    return PARN_OK;
}

static parn_status permute_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    const parn_node *n = parn_graph_node(g, node);
    int inverse[PARN_MAX_DIMS];
    for (int i = 0; i < n->out.ndim; i++) inverse[n->attrs.shape.perm[i]] = i;
    dsrc[0] = parn_permute(g, dy, inverse);
    return parn_graph_status(g);
}

const parn_op_def parn_def_concat = {"concat", 1, PARN_MAX_SRC, false, concat_infer,
                                     concat_backward};
const parn_op_def parn_def_slice = {"slice", 1, 1, false, slice_infer, slice_backward};
const parn_op_def parn_def_pad = {"pad", 1, 1, false, pad_infer, pad_backward};
const parn_op_def parn_def_reshape = {"reshape", 1, 1, false, reshape_infer, reshape_backward};
const parn_op_def parn_def_permute = {"permute", 1, 1, false, permute_infer, permute_backward};

/* The rank of node x, or -1 after recording why there is none. */
static int rank_of(parn_graph *g, int x, const char *op)
{
    if (parn_graph_status(g) != PARN_OK) return -1;
    const parn_tensor *t = parn_graph_tensor(g, x);
    if (!t) return parn_graph_fail(g, PARN_E_INVALID_ARG, "%s: input %d is not a node", op, x);
    return t->ndim;
}

int parn_concat(parn_graph *g, int n, const int *xs, int axis)
{
    if (!g) return -1;
    if (n < 1 || n > PARN_MAX_SRC || !xs)
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "concat: %d inputs (1..%d) or NULL list", n,
                               PARN_MAX_SRC);
    parn_attrs a = {.shape = {.axis = axis}};
    return parn_graph_append(g, PARN_OP_CONCAT, n, xs, &a);
}

int parn_slice(parn_graph *g, int x, const int64_t *start, const int64_t *sizes)
{
    if (!g) return -1;
    int nd = rank_of(g, x, "slice");
    if (nd < 0) return -1;
    if (nd > 0 && (!start || !sizes))
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "slice: NULL start or sizes");
    parn_attrs a = {.shape = {.ndim = nd}};
    for (int i = 0; i < nd; i++) {
        a.shape.start[i] = start[i];
        a.shape.dims[i] = sizes[i];
    }
    return PARN_APPEND(g, PARN_OP_SLICE, &a, x);
}

/* 0 when n sizes split dim axis of t exactly, else -1 after recording why. */
static int check_split(parn_graph *g, const parn_tensor *t, int axis, int n, const int64_t *sizes)
{
    if (!sizes || n < 1)
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "split: %d parts or NULL sizes", n);
    if (axis < 0 || axis >= t->ndim)
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "split: axis %d is out of range for %s", axis,
                               parn_tensor_shape_str(t));
    int64_t total = 0;
    for (int k = 0; k < n; k++) {
        if (sizes[k] < 1 || sizes[k] > t->dims[axis])
            return parn_graph_fail(g, PARN_E_SHAPE, "split: part %d has size %lld, dim %d of %s",
                                   k, (long long)sizes[k], axis, parn_tensor_shape_str(t));
        total += sizes[k];
    }
    if (total != t->dims[axis])
        return parn_graph_fail(g, PARN_E_SHAPE, "split: sizes add up to %lld, dim %d of %s",
                               (long long)total, axis, parn_tensor_shape_str(t));
    return 0;
}

parn_status parn_split(parn_graph *g, int x, int axis, int n, const int64_t *sizes, int *out)
{
    PARN_RETURN_IF(!g, PARN_E_INVALID_ARG, "split: graph is NULL");
    if (rank_of(g, x, "split") < 0) return parn_graph_status(g);
    if (!out) {
        parn_graph_fail(g, PARN_E_INVALID_ARG, "split: NULL output array");
        return parn_graph_status(g);
    }
    parn_tensor t = *parn_graph_tensor(g, x);
    if (check_split(g, &t, axis, n, sizes) < 0) return parn_graph_status(g);
    int64_t start[PARN_MAX_DIMS] = {0};
    for (int k = 0; k < n; k++) {
        t.dims[axis] = sizes[k];
        out[k] = parn_slice(g, x, start, t.dims);
        start[axis] += sizes[k];
    }
    return parn_graph_status(g);
}

int parn_pad(parn_graph *g, int x, const int64_t *lo, const int64_t *hi, float value)
{
    if (!g) return -1;
    int nd = rank_of(g, x, "pad");
    if (nd < 0) return -1;
    if (nd > 0 && (!lo || !hi)) return parn_graph_fail(g, PARN_E_INVALID_ARG, "pad: NULL lo or hi");
    parn_attrs a = {.shape = {.ndim = nd, .value = value}};
    for (int i = 0; i < nd; i++) {
        a.shape.lo[i] = lo[i];
        a.shape.hi[i] = hi[i];
    }
    return PARN_APPEND(g, PARN_OP_PAD, &a, x);
}

int parn_reshape(parn_graph *g, int x, int ndim, const int64_t *dims)
{
    if (!g) return -1;
    if (ndim < 0 || ndim > PARN_MAX_DIMS || (ndim > 0 && !dims))
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "reshape: rank %d (0..%d) or NULL dims",
                               ndim, PARN_MAX_DIMS);
    parn_attrs a = {.shape = {.ndim = ndim}};
    for (int i = 0; i < ndim; i++) a.shape.dims[i] = dims[i];
    return PARN_APPEND(g, PARN_OP_RESHAPE, &a, x);
}

int parn_permute(parn_graph *g, int x, const int *perm)
{
    int nd = rank_of(g, x, "permute");
    if (nd < 0) return -1;
    if (!perm) return parn_graph_fail(g, PARN_E_INVALID_ARG, "permute: perm is NULL");
    parn_attrs a = {.shape = {.ndim = nd}};
    for (int i = 0; i < nd; i++) a.shape.perm[i] = perm[i];
    return PARN_APPEND(g, PARN_OP_PERMUTE, &a, x);
}
