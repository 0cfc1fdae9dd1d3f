/* SPDX-License-Identifier: MIT */
/* Broadcasting arithmetic, reductions, expansion, dropout and side outputs through the
 * launchers of kernels/ (any strides on either side). */
#include "cuda.h"

#include <math.h>

PARN_CUDA_KERNEL(binary)
{
    const parn_tensor *a = parn_src(g, n, 0), *b = parn_src(g, n, 1);
    return parn_cuda_launched(parn_k_binary(ctx->stream, (int)n->attrs.binary.kind, n->out.data,
                                            parn_cuda_view(&n->out), a->data, parn_cuda_view(a),
                                            b->data, parn_cuda_view(b)),
                              n);
}

PARN_CUDA_KERNEL(affine)
{
    const parn_tensor *x = parn_src(g, n, 0);
    return parn_cuda_launched(parn_k_affine(ctx->stream, n->attrs.affine.alpha,
                                            n->attrs.affine.beta, n->out.data,
                                            parn_cuda_view(&n->out), x->data, parn_cuda_view(x)),
                              n);
}

PARN_CUDA_KERNEL(reduce)
{
    const parn_reduce_attrs *a = &n->attrs.reduce;
    const parn_tensor *x = parn_src(g, n, 0);
    parn_kview xv = parn_cuda_view(x);
    size_t bytes = parn_k_reduce_workspace(a->axes, xv);
    void *ws = NULL;
    if (bytes) PARN_TRY(parn_cuda_workspace(ctx, bytes, &ws));
    return parn_cuda_launched(parn_k_reduce(ctx->stream, a->axes, a->mean, a->keepdim, n->out.data,
                                            parn_cuda_view(&n->out), x->data, xv, ws, bytes),
                              n);
}

PARN_CUDA_KERNEL(expand)
{
    const parn_tensor *x = parn_src(g, n, 0);
    return parn_cuda_launched(parn_k_expand(ctx->stream, n->out.data, parn_cuda_view(&n->out),
                                            x->data, parn_cuda_view(x)),
                              n);
}

PARN_CUDA_KERNEL(side)
{
    const parn_tensor *t = &parn_src_node(g, n, 0)->side[n->attrs.side.index];
    return parn_cuda_launched(parn_k_copy(ctx->stream, n->out.data, parn_cuda_view(&n->out),
                                          t->data, parn_cuda_view(t)),
                              n);
}

/* ---- dropout ------------------------------------------------------------------------------------ */

/* The mask is drawn on the host by the CPU backend's function (parn__dropout_mask_chunk: one
 * draw of the graph's generator seeds a stream per chunk of elements), so that a seed gives the
 * same mask on both backends, then uploaded. */

typedef struct dropout_state {
    parn_cuda_state base;
    float *mask;   /* host */
} dropout_state;

static void dropout_state_destroy(parn_cuda_state *st)
{
    dropout_state *s = (dropout_state *)st;
    parn__free(s->mask);
    parn__free(s);
}

PARN_CUDA_KERNEL(dropout)
{
    const parn_tensor *x = parn_src(g, n, 0);
    parn_kview yv = parn_cuda_view(&n->out), xv = parn_cuda_view(x);
    if (!n->attrs.dropout.training)
        return parn_cuda_launched(parn_k_copy(ctx->stream, n->out.data, yv, x->data, xv), n);
    int64_t total = parn_tensor_numel(&n->out);
    dropout_state *s = parn_cuda_state_of(n, sizeof(dropout_state), dropout_state_destroy);
    if (s && !s->mask) s->mask = parn__malloc((size_t)total * sizeof(float));
    PARN_RETURN_IF(!s || !s->mask, PARN_E_NOMEM, "%s: out of memory for the mask", n->name);
    uint64_t seed = parn__rng_next(parn_graph_rng(g));
    for (int64_t k = 0; k < (total + PARN_DROPOUT_CHUNK - 1) / PARN_DROPOUT_CHUNK; k++)
        parn__dropout_mask_chunk(seed, k, total, n->attrs.dropout.p, s->mask);
    parn_tensor *mask = &n->side[0];
    PARN_TRY(parn_cuda_upload(ctx, mask->data, s->mask, (size_t)total * sizeof(float)));
    return parn_cuda_launched(parn_k_dropout_apply(ctx->stream, n->out.data, yv, x->data, xv,
                                                   mask->data, parn_cuda_view(mask)),
                              n);
}
