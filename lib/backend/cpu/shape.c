/* SPDX-License-Identifier: MIT */
/* Concat, slice, pad and reshape as strided box copies (any layouts, OpenMP, memcpy rows when
 * both sides are contiguous). */
#include "cpu.h"
#include "cpu_kernels.h"
#include "strided.h"

#include <omp.h>
#include <string.h>

parn_status parn_cpu_concat(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    parn_tensor *y = &n->out;
    int64_t at = 0, axis_stride = y->strides[n->attrs.shape.axis];
    for (int k = 0; k < n->n_src; k++) {
        const parn_tensor *x = parn_src(g, n, k);
        float *dst = y->data + at * axis_stride;
        parn_walk_copy(x->ndim, x->dims, dst, y->strides, x->data, x->strides);
        at += x->dims[n->attrs.shape.axis];
    }
    return PARN_OK;
}

parn_status parn_cpu_slice(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    parn_tensor *y = &n->out;
    const float *src = x->data + parn_tensor_offset(x, n->attrs.shape.start);
    parn_walk_copy(y->ndim, y->dims, y->data, y->strides, src, x->strides);
    return PARN_OK;
}

/* Fills the padding of y around the box [lo, lo + inner): for each dim d, the elements whose
 * first out-of-box dim is d, so that every padding element is written once. */
static void fill_border(parn_tensor *y, const int64_t *lo, const int64_t *inner, float value)
{
    for (int d = 0; d < y->ndim; d++) {
        int64_t start[PARN_MAX_DIMS] = {0}, dims[PARN_MAX_DIMS];
        for (int i = 0; i < y->ndim; i++) {
            start[i] = i < d ? lo[i] : 0;
            dims[i] = i < d ? inner[i] : y->dims[i];
        }
        /* the slab below the box along d, then the slab above it */
        int64_t hi = y->dims[d] - lo[d] - inner[d], slab_start[2] = {0, lo[d] + inner[d]};
        int64_t slab_size[2] = {lo[d], hi};
        for (int k = 0; k < 2; k++) {
            if (slab_size[k] == 0) continue;
            start[d] = slab_start[k];
            dims[d] = slab_size[k];
            float *p = y->data + parn_tensor_offset(y, start);
            parn_walk_fill(y->ndim, dims, p, y->strides, value);
        }
    }
}

parn_status parn_cpu_pad(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    parn_tensor *y = &n->out;
    const int64_t *lo = n->attrs.shape.lo;
    fill_border(y, lo, x->dims, n->attrs.shape.value);
    float *inside = y->data + parn_tensor_offset(y, lo);
    parn_walk_copy(x->ndim, x->dims, inside, y->strides, x->data, x->strides);
    return PARN_OK;
}

/* Row-major order is the contract, so one side is viewed plain: x when it is stored plain,
 * else y when it is, else a plain copy of x. */
parn_status parn_cpu_reshape(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    parn_tensor x = *parn_src(g, n, 0), *y = &n->out;
    if (!parn_tensor_is_plain(&x) && parn_tensor_is_plain(y)) {
        parn_tensor y_as_x = x;
        parn_tensor_set_plain(&y_as_x);
        y_as_x.data = y->data;
        parn_walk_copy(x.ndim, x.dims, y_as_x.data, y_as_x.strides, x.data, x.strides);
        return PARN_OK;
    }
    if (!parn_tensor_is_plain(&x)) {
        PARN_RETURN_IF(!parn_cpu_scratch_state_of(n), PARN_E_NOMEM, "reshape: out of memory");
        parn_tensor plain = x;
        parn_tensor_set_plain(&plain);
        PARN_TRY(parn_cpu_conform_src(g, n, 0, &plain, 0, &x));
    }
    parn_tensor x_as_y = *y;
    parn_tensor_set_plain(&x_as_y);
    parn_walk_copy(y->ndim, y->dims, y->data, y->strides, x.data, x_as_y.strides);
    return PARN_OK;
}

/* A permutation is a copy whose source strides are read in the output's dim order. */
parn_status parn_cpu_permute(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    const parn_tensor *x = parn_src(g, n, 0);
    int64_t src_strides[PARN_MAX_DIMS];
    for (int i = 0; i < n->out.ndim; i++) src_strides[i] = x->strides[n->attrs.shape.perm[i]];
    parn_walk_copy(n->out.ndim, n->out.dims, n->out.data, n->out.strides, x->data, src_strides);
    return PARN_OK;
}
