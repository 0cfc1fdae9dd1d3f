/* SPDX-License-Identifier: MIT */
/* The losses (cross-entropy, BCE with logits, L1/L2, SSIM, cosine) and their gradients through
 * the launchers of kernels/. Scalar results stay on the device; the gradients read the
 * upstream scalar there too. Bad cross-entropy labels raise a device flag that the context
 * checks when results leave the device (a check here would wait for the GPU mid-run). */
#include "cuda.h"

/* The shared workspace of bytes, or NULL when none is needed. */
static parn_status workspace(parn_backend_ctx *ctx, size_t bytes, void **out)
{
    *out = NULL;
    return bytes ? parn_cuda_workspace(ctx, bytes, out) : PARN_OK;
}

static parn_status arm_label_check(parn_backend_ctx *ctx, const parn_node *n)
{
    if (ctx->bad_label_armed) return PARN_OK;
    PARN_CU(cudaMemsetAsync(ctx->bad_label, 0, sizeof(int), ctx->stream), n->name);
    ctx->bad_label_armed = true;
    return PARN_OK;
}

PARN_CUDA_KERNEL(cross_entropy)
{
    const parn_tensor *x = parn_src(g, n, 0), *labels = parn_src(g, n, 1);
    size_t bytes = parn_k_loss_workspace(x->dims[0]);
    void *ws;
    PARN_TRY(workspace(ctx, bytes, &ws));
    PARN_TRY(arm_label_check(ctx, n));
    return parn_cuda_launched(parn_k_cross_entropy_fwd(ctx->stream, (int)n->attrs.loss.reduction,
                                                       n->out.data, x->data, parn_cuda_view(x),
                                                       labels->data, parn_cuda_view(labels),
                                                       ctx->bad_label, ws, bytes),
                              n);
}

/* srcs dy, logits, labels. */
PARN_CUDA_KERNEL(cross_entropy_bwd)
{
    const parn_tensor *dy = parn_src(g, n, 0), *x = parn_src(g, n, 1), *labels = parn_src(g, n, 2);
    PARN_TRY(arm_label_check(ctx, n));
    return parn_cuda_launched(parn_k_cross_entropy_bwd(ctx->stream, (int)n->attrs.loss.reduction,
                                                       n->out.data, parn_cuda_view(&n->out),
                                                       dy->data, x->data, parn_cuda_view(x),
                                                       labels->data, parn_cuda_view(labels),
                                                       ctx->bad_label),
                              n);
}

PARN_CUDA_KERNEL(bce_logits)
{
    const parn_tensor *x = parn_src(g, n, 0), *t = parn_src(g, n, 1);
    size_t bytes = parn_k_loss_workspace(parn_tensor_numel(x));
    void *ws;
    PARN_TRY(workspace(ctx, bytes, &ws));
    return parn_cuda_launched(parn_k_bce_logits_fwd(ctx->stream, (int)n->attrs.loss.reduction,
                                                    n->out.data, x->data, parn_cuda_view(x),
                                                    t->data, parn_cuda_view(t), ws, bytes),
                              n);
}

/* srcs dy, x, target. */
PARN_CUDA_KERNEL(bce_logits_bwd)
{
    const parn_tensor *dy = parn_src(g, n, 0), *x = parn_src(g, n, 1), *t = parn_src(g, n, 2);
    return parn_cuda_launched(parn_k_bce_logits_bwd(ctx->stream, (int)n->attrs.loss.reduction,
                                                    n->attrs.loss.which, n->out.data,
                                                    parn_cuda_view(&n->out), dy->data, x->data,
                                                    parn_cuda_view(x), t->data, parn_cuda_view(t)),
                              n);
}

PARN_CUDA_KERNEL(dist_loss)
{
    const parn_tensor *x = parn_src(g, n, 0), *t = parn_src(g, n, 1);
    size_t bytes = parn_k_loss_workspace(parn_tensor_numel(x));
    void *ws;
    PARN_TRY(workspace(ctx, bytes, &ws));
    return parn_cuda_launched(parn_k_dist_loss_fwd(ctx->stream, (int)n->attrs.loss.reduction,
                                                   n->attrs.loss.l1, n->out.data, x->data,
                                                   parn_cuda_view(x), t->data, parn_cuda_view(t),
                                                   ws, bytes),
                              n);
}

/* srcs dy, x, target. */
PARN_CUDA_KERNEL(dist_loss_bwd)
{
    const parn_tensor *dy = parn_src(g, n, 0), *x = parn_src(g, n, 1), *t = parn_src(g, n, 2);
    return parn_cuda_launched(parn_k_dist_loss_bwd(ctx->stream, (int)n->attrs.loss.reduction,
                                                   n->attrs.loss.l1, n->attrs.loss.which,
                                                   n->out.data, parn_cuda_view(&n->out), dy->data,
                                                   x->data, parn_cuda_view(x), t->data,
                                                   parn_cuda_view(t)),
                              n);
}

PARN_CUDA_KERNEL(ssim)
{
    const parn_loss_attrs *a = &n->attrs.loss;
    const parn_tensor *x = parn_src(g, n, 0), *y = parn_src(g, n, 1);
    parn_kview xv = parn_cuda_view(x);
    size_t bytes = parn_k_ssim_workspace(xv, a->window);
    void *ws;
    PARN_TRY(workspace(ctx, bytes, &ws));
    return parn_cuda_launched(parn_k_ssim_fwd(ctx->stream, a->window, a->sigma, a->c1, a->c2,
                                              n->out.data, x->data, xv, y->data, parn_cuda_view(y),
                                              ws, bytes),
                              n);
}

/* srcs dy, x, y. */
PARN_CUDA_KERNEL(ssim_bwd)
{
    const parn_loss_attrs *a = &n->attrs.loss;
    const parn_tensor *dy = parn_src(g, n, 0), *x = parn_src(g, n, 1), *y = parn_src(g, n, 2);
    parn_kview xv = parn_cuda_view(x);
    size_t bytes = parn_k_ssim_workspace(xv, a->window);
    void *ws;
    PARN_TRY(workspace(ctx, bytes, &ws));
    return parn_cuda_launched(parn_k_ssim_bwd(ctx->stream, a->window, a->sigma, a->c1, a->c2,
                                              a->which, n->out.data, parn_cuda_view(&n->out),
                                              dy->data, x->data, xv, y->data, parn_cuda_view(y),
                                              ws, bytes),
                              n);
}

PARN_CUDA_KERNEL(cosine)
{
    const parn_tensor *a = parn_src(g, n, 0), *b = parn_src(g, n, 1);
    return parn_cuda_launched(parn_k_cosine_fwd(ctx->stream, n->attrs.loss.eps, n->out.data,
                                                parn_cuda_view(&n->out), a->data, parn_cuda_view(a),
                                                b->data, parn_cuda_view(b)),
                              n);
}

/* srcs dy, a, b. */
PARN_CUDA_KERNEL(cosine_bwd)
{
    const parn_tensor *dy = parn_src(g, n, 0), *a = parn_src(g, n, 1), *b = parn_src(g, n, 2);
    return parn_cuda_launched(parn_k_cosine_bwd(ctx->stream, n->attrs.loss.eps,
                                                n->attrs.loss.which, n->out.data,
                                                parn_cuda_view(&n->out), dy->data,
                                                parn_cuda_view(dy), a->data, parn_cuda_view(a),
                                                b->data, parn_cuda_view(b)),
                              n);
}
