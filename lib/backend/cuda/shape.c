/* SPDX-License-Identifier: MIT */
/* Layout plumbing (concat, slice, pad, reshape, permute) and bilinear resize through the
 * launchers of kernels/. */
#include "cuda.h"

PARN_CUDA_KERNEL(concat)
{
    const float *xs[PARN_MAX_SRC];
    parn_kview xvs[PARN_MAX_SRC];
    for (int k = 0; k < n->n_src; k++) {
        const parn_tensor *x = parn_src(g, n, k);
        xs[k] = x->data;
        xvs[k] = parn_cuda_view(x);
    }
    return parn_cuda_launched(parn_k_concat(ctx->stream, n->attrs.shape.axis, n->out.data,
                                            parn_cuda_view(&n->out), n->n_src, xs, xvs),
                              n);
}

PARN_CUDA_KERNEL(slice)
{
    const parn_tensor *x = parn_src(g, n, 0);
    return parn_cuda_launched(parn_k_slice(ctx->stream, n->out.data, parn_cuda_view(&n->out),
                                           x->data, parn_cuda_view(x), n->attrs.shape.start),
                              n);
}

PARN_CUDA_KERNEL(pad)
{
    const parn_tensor *x = parn_src(g, n, 0);
    return parn_cuda_launched(parn_k_pad(ctx->stream, n->out.data, parn_cuda_view(&n->out), x->data,
                                         parn_cuda_view(x), n->attrs.shape.lo,
                                         n->attrs.shape.value),
                              n);
}

PARN_CUDA_KERNEL(reshape)
{
    const parn_tensor *x = parn_src(g, n, 0);
    return parn_cuda_launched(parn_k_reshape(ctx->stream, n->out.data, parn_cuda_view(&n->out),
                                             x->data, parn_cuda_view(x)),
                              n);
}

PARN_CUDA_KERNEL(permute)
{
    const parn_tensor *x = parn_src(g, n, 0);
    return parn_cuda_launched(parn_k_permute(ctx->stream, n->out.data, parn_cuda_view(&n->out),
                                             x->data, parn_cuda_view(x), n->attrs.shape.perm),
                              n);
}

PARN_CUDA_KERNEL(resize)
{
    const parn_tensor *x = parn_src(g, n, 0);
    return parn_cuda_launched(parn_k_resize_fwd(ctx->stream, n->attrs.resize.align_corners,
                                                n->out.data, parn_cuda_view(&n->out), x->data,
                                                parn_cuda_view(x)),
                              n);
}

PARN_CUDA_KERNEL(resize_bwd)
{
    const parn_tensor *dy = parn_src(g, n, 0);
    return parn_cuda_launched(parn_k_resize_bwd(ctx->stream, n->attrs.resize.align_corners,
                                                n->out.data, parn_cuda_view(&n->out), dy->data,
                                                parn_cuda_view(dy)),
                              n);
}
