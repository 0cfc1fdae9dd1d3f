/* SPDX-License-Identifier: MIT */
/* Bilinear resize of N x C x H x W (F.interpolate(mode='bilinear')) and its exact adjoint. */
#include "op_defs.h"

static parn_status resize_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    const parn_resize_attrs *a = &n->attrs.resize;
    PARN_RETURN_IF(x->ndim != 4, PARN_E_SHAPE, "resize: input %s is not N x C x H x W",
                   parn_tensor_shape_str(x));
    PARN_RETURN_IF(a->out_h < 1 || a->out_w < 1, PARN_E_INVALID_ARG,
                   "resize: output size %lld x %lld must be positive", (long long)a->out_h,
                   (long long)a->out_w);
    parn_out_dims(n, 4, (int64_t[]){x->dims[0], x->dims[1], a->out_h, a->out_w});
    return PARN_OK;
}

static parn_status resize_backward(parn_graph *g, int node, int dy, int *dsrc)
{
    parn_node *n = parn_graph_node(g, node);
    parn_attrs a = n->attrs;
    const parn_tensor *x = parn_src(g, n, 0);
    for (int i = 0; i < 4; i++) a.resize.src_dims[i] = x->dims[i];
    dsrc[0] = PARN_APPEND(g, PARN_OP_RESIZE_BWD, &a, dy);
    return parn_graph_status(g);
}

static parn_status resize_bwd_infer(const parn_graph *g, parn_node *n)
{
    const parn_tensor *dy = parn_src(g, n, 0);
    const parn_resize_attrs *a = &n->attrs.resize;
    const int64_t *src = a->src_dims;
    PARN_RETURN_IF(src[0] < 1 || src[1] < 1 || src[2] < 1 || src[3] < 1, PARN_E_INVALID_ARG,
                   "resize backward: source dims must be positive");
    bool fits = dy->ndim == 4 && dy->dims[0] == src[0] && dy->dims[1] == src[1] &&
                dy->dims[2] == a->out_h && dy->dims[3] == a->out_w;
    PARN_RETURN_IF(!fits, PARN_E_SHAPE, "resize backward: dy %s is not [%lld, %lld, %lld, %lld]",
                   parn_tensor_shape_str(dy), (long long)src[0], (long long)src[1],
                   (long long)a->out_h, (long long)a->out_w);
    parn_out_dims(n, 4, src);
    return PARN_OK;
}

const parn_op_def parn_def_resize = {"resize", 1, 1, false, resize_infer, resize_backward};
const parn_op_def parn_def_resize_bwd = {"resize_bwd", 1, 1, false, resize_bwd_infer, NULL};

int parn_resize_bilinear(parn_graph *g, int x, int64_t out_h, int64_t out_w, bool align_corners)
{
    parn_attrs a = {.resize = {.out_h = out_h, .out_w = out_w, .align_corners = align_corners}};
    return PARN_APPEND(g, PARN_OP_RESIZE, &a, x);
}
