/* SPDX-License-Identifier: MIT */
/* Convolution, and the geometry it shares with transposed convolution (deconv.c): attribute
 * and shape validation, output sizes, gradient rule and builder. */
#include "conv_common.h"

#include <string.h>

static bool is_transposed(parn_op_type op)
{
    return op == PARN_OP_DECONV || op == PARN_OP_DECONV_BWD_DATA ||
           op == PARN_OP_DECONV_BWD_WEIGHTS;
}

parn_conv_attrs parn_conv_attrs_default(int rank)
{
    parn_conv_attrs a = {.rank = rank, .groups = 1};
    for (int i = 0; i < 3; i++) a.stride[i] = a.dilation[i] = 1;
    return a;
}

static parn_status check_attrs(const char *op, const parn_conv_attrs *a, bool transposed)
{
    PARN_RETURN_IF(a->rank != 2 && a->rank != 3, PARN_E_INVALID_ARG,
                   "%s: rank %d is not 2 or 3 spatial dims", op, a->rank);
    PARN_RETURN_IF(a->groups < 1, PARN_E_INVALID_ARG, "%s: groups %d must be >= 1", op, a->groups);
    for (int i = 0; i < a->rank; i++) {
        PARN_RETURN_IF(a->stride[i] < 1, PARN_E_INVALID_ARG, "%s: stride[%d] = %d must be >= 1",
                       op, i, a->stride[i]);
        PARN_RETURN_IF(a->dilation[i] < 1, PARN_E_INVALID_ARG,
                       "%s: dilation[%d] = %d must be >= 1 (1 = none)", op, i, a->dilation[i]);
        PARN_RETURN_IF(a->pad_lo[i] < 0 || a->pad_hi[i] < 0, PARN_E_INVALID_ARG,
                       "%s: padding of spatial dim %d (%d, %d) must be >= 0", op, i, a->pad_lo[i],
                       a->pad_hi[i]);
        if (!transposed)
            PARN_RETURN_IF(a->out_pad[i] != 0, PARN_E_INVALID_ARG,
                           "%s: out_pad[%d] = %d; output padding is for transposed convolution",
                           op, i, a->out_pad[i]);
        else
            PARN_RETURN_IF(a->out_pad[i] < 0 ||
                               (a->out_pad[i] >= a->stride[i] && a->out_pad[i] >= a->dilation[i]),
                           PARN_E_INVALID_ARG,
                           "%s: out_pad[%d] = %d must be >= 0 and smaller than the stride (%d) "
                           "or the dilation (%d)",
                           op, i, a->out_pad[i], a->stride[i], a->dilation[i]);
    }
    return PARN_OK;
}

/* Output size of one spatial dim, or < 1 when the window does not fit. */
static int64_t out_size(const parn_conv_attrs *a, int i, int64_t in, int64_t k, bool transposed)
{
    int64_t span = (int64_t)a->dilation[i] * (k - 1) + 1, pads = a->pad_lo[i] + a->pad_hi[i];
    if (transposed) return (in - 1) * a->stride[i] - pads + span + a->out_pad[i];
    int64_t room = in + pads - span;
    return room < 0 ? 0 : room / a->stride[i] + 1;
}

/* Checks x and w (and b when not NULL) against each other and the attributes, and computes
 * the output dims. Conv weights are OC x C/groups x k..., transposed ones C x OC/groups x k.... */
static parn_status check_shapes(const char *op, const parn_conv_attrs *a, bool transposed,
                                const parn_tensor *x, const parn_tensor *w, const parn_tensor *b,
                                int64_t *out)
{
    int nd = a->rank + 2;
    PARN_RETURN_IF(x->ndim != nd, PARN_E_SHAPE, "%s: x %s must have %d dims (N, C and %d spatial)",
                   op, parn_tensor_shape_str(x), nd, a->rank);
    PARN_RETURN_IF(w->ndim != nd, PARN_E_SHAPE, "%s: weights %s must have %d dims", op,
                   parn_tensor_shape_str(w), nd);
    int64_t c = x->dims[1], groups = a->groups, oc;
    PARN_RETURN_IF(c % groups, PARN_E_SHAPE, "%s: %lld input channels do not split into %d groups",
                   op, (long long)c, a->groups);
    if (!transposed) {
        oc = w->dims[0];
        PARN_RETURN_IF(w->dims[1] * groups != c, PARN_E_SHAPE,
                       "%s: weights %s need %lld input channels per group "
                       "(x has %lld in %d groups)",
                       op, parn_tensor_shape_str(w), (long long)(c / groups), (long long)c,
                       a->groups);
        PARN_RETURN_IF(oc % groups, PARN_E_SHAPE,
                       "%s: %lld output channels do not split into %d groups", op, (long long)oc,
                       a->groups);
    } else {
        oc = w->dims[1] * groups;
        PARN_RETURN_IF(w->dims[0] != c, PARN_E_SHAPE,
                       "%s: weights %s must have %lld rows, one per input channel", op,
                       parn_tensor_shape_str(w), (long long)c);
    }
    PARN_RETURN_IF(b && (b->ndim != 1 || b->dims[0] != oc), PARN_E_SHAPE,
                   "%s: bias %s must have %lld entries, one per output channel", op,
                   parn_tensor_shape_str(b), (long long)oc);
    out[0] = x->dims[0];
    out[1] = oc;
    for (int i = 0; i < a->rank; i++) {
        out[2 + i] = out_size(a, i, x->dims[2 + i], w->dims[2 + i], transposed);
        PARN_RETURN_IF(out[2 + i] < 1, PARN_E_SHAPE,
                       "%s: spatial dim %d has no output (input %lld, kernel %lld, dilation %d, "
                       "padding %d + %d, stride %d)",
                       op, i, (long long)x->dims[2 + i], (long long)w->dims[2 + i], a->dilation[i],
                       a->pad_lo[i], a->pad_hi[i], a->stride[i]);
    }
    return PARN_OK;
}

parn_status parn_convlike_infer(const parn_graph *g, parn_node *n)
{
    const parn_conv_attrs *a = &n->attrs.conv;
    bool transposed = is_transposed(n->op);
    PARN_TRY(check_attrs(n->name, a, transposed));
    PARN_RETURN_IF(a->has_bias != (n->n_src == 3), PARN_E_INVALID_ARG,
                   "%s: has_bias is %s but %d inputs were given", n->name,
                   a->has_bias ? "set" : "clear", n->n_src);
    int64_t out[PARN_MAX_DIMS];
    PARN_TRY(check_shapes(n->name, a, transposed, parn_src(g, n, 0), parn_src(g, n, 1),
                          n->n_src == 3 ? parn_src(g, n, 2) : NULL, out));
    parn_out_dims(n, a->rank + 2, out);
    return PARN_OK;
}

/* Validates a backward node's attributes and rebuilds from src_dims the forward input that
 * it differentiates. */
static parn_status src_dims_tensor(const parn_node *n, parn_tensor *t)
{
    const parn_conv_attrs *a = &n->attrs.conv;
    PARN_TRY(check_attrs(n->name, a, is_transposed(n->op)));
    *t = (parn_tensor){.ndim = a->rank + 2};
    for (int i = 0; i < t->ndim; i++) {
        PARN_RETURN_IF(a->src_dims[i] < 1, PARN_E_SHAPE, "%s: src_dims[%d] = %lld must be >= 1",
                       n->name, i, (long long)a->src_dims[i]);
        t->dims[i] = a->src_dims[i];
    }
    return PARN_OK;
}

/* Checks that dy has the dims of the forward output of x and w. */
static parn_status check_dy(const parn_node *n, const parn_tensor *dy, const parn_tensor *x,
                            const parn_tensor *w)
{
    const parn_conv_attrs *a = &n->attrs.conv;
    parn_tensor y = {.ndim = a->rank + 2};
    PARN_TRY(check_shapes(n->name, a, is_transposed(n->op), x, w, NULL, y.dims));
    PARN_RETURN_IF(!parn_tensor_same_dims(dy, &y), PARN_E_SHAPE,
                   "%s: dy %s does not match the forward output", n->name,
                   parn_tensor_shape_str(dy));
    return PARN_OK;
}

parn_status parn_convlike_bwd_data_infer(const parn_graph *g, parn_node *n)
{
    parn_tensor x;
    PARN_TRY(src_dims_tensor(n, &x));
    PARN_TRY(check_dy(n, parn_src(g, n, 0), &x, parn_src(g, n, 1)));
    parn_out_like(n, &x);
    return PARN_OK;
}

parn_status parn_convlike_bwd_weights_infer(const parn_graph *g, parn_node *n)
{
    parn_tensor w;
    PARN_TRY(src_dims_tensor(n, &w));
    const parn_tensor *dy = parn_src(g, n, 0);
    PARN_TRY(check_dy(n, dy, parn_src(g, n, 1), &w));
    parn_out_like(n, &w);
    if (n->attrs.conv.has_bias) {
        n->n_side = 1;
        n->side[0] = (parn_tensor){.ndim = 1, .dims = {dy->dims[1]}};
    }
    return PARN_OK;
}

/* Attributes of a backward node: the forward ones plus the dims of the src it differentiates. */
static parn_attrs bwd_attrs(parn_graph *g, const parn_attrs *fwd, int src)
{
    parn_attrs a = *fwd;
    const parn_tensor *t = parn_graph_tensor(g, src);
    memcpy(a.conv.src_dims, t->dims, sizeof a.conv.src_dims);
    return a;
}

parn_status parn_convlike_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    /* Copies: appending nodes may move the node array. */
    const parn_node *n = parn_graph_node(g, node);
    parn_attrs fwd = n->attrs;
    int x = n->src[0], w = n->src[1], b = fwd.conv.has_bias ? n->src[2] : -1;
    bool transposed = is_transposed(n->op);
    parn_attrs da = bwd_attrs(g, &fwd, x), wa = bwd_attrs(g, &fwd, w);
    if (parn_graph_node(g, x)->requires_grad)
        dsrc[0] = PARN_APPEND(g, transposed ? PARN_OP_DECONV_BWD_DATA : PARN_OP_CONV_BWD_DATA,
                              &da, dy, w);
    bool need_w = parn_graph_node(g, w)->requires_grad;
    bool need_b = b >= 0 && parn_graph_node(g, b)->requires_grad;
    if (need_w || need_b) {
        int dw = PARN_APPEND(g, transposed ? PARN_OP_DECONV_BWD_WEIGHTS : PARN_OP_CONV_BWD_WEIGHTS,
                             &wa, dy, x);
        dsrc[1] = dw;
        if (need_b) dsrc[2] = parn_side(g, dw, 0);
    }
    return parn_graph_status(g);
}

int parn_convlike_build(parn_graph *g, parn_op_type op, int x, int w, int b,
                        const parn_conv_attrs *a)
{
    const char *name = parn_op_def_of(op)->name;
    if (!g) {
        parn__fail(PARN_E_INVALID_ARG, "%s: graph is NULL", name);
        return -1;
    }
    if (!a) return parn_graph_fail(g, PARN_E_INVALID_ARG, "%s: attributes are NULL", name);
    if (b < -1)
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "%s: bias %d is not a node (-1 for none)",
                               name, b);
    parn_attrs at = {.conv = *a};
    at.conv.has_bias = b >= 0;
    return b >= 0 ? PARN_APPEND(g, op, &at, x, w, b) : PARN_APPEND(g, op, &at, x, w);
}

const parn_op_def parn_def_conv = {"conv", 2, 3, false, parn_convlike_infer,
                                   parn_convlike_backward};
const parn_op_def parn_def_conv_bwd_data = {"conv_bwd_data", 2, 2, false,
                                            parn_convlike_bwd_data_infer, NULL};
const parn_op_def parn_def_conv_bwd_weights = {"conv_bwd_weights", 2, 2, true,
                                               parn_convlike_bwd_weights_infer, NULL};

int parn_conv(parn_graph *g, int x, int w, int b, const parn_conv_attrs *a)
{
    return parn_convlike_build(g, PARN_OP_CONV, x, w, b, a);
}
