/* SPDX-License-Identifier: MIT */
/* Activations through kernels/ (one launch for any layout; the backward from the output with
 * oneDNN's use-dst-for-backward rules, so that both backends agree at the kinks). */
#include "cuda.h"

PARN_CUDA_KERNEL(act)
{
    const parn_act_attrs *a = &n->attrs.act;
    const parn_tensor *x = parn_src(g, n, 0);
    return parn_cuda_launched(parn_k_act_fwd(ctx->stream, (int)a->kind, a->alpha, a->beta,
                                             n->out.data, parn_cuda_view(&n->out), x->data,
                                             parn_cuda_view(x)),
                              n);
}

/* srcs dy, y. */
PARN_CUDA_KERNEL(act_bwd)
{
    const parn_act_attrs *a = &n->attrs.act;
    const parn_tensor *dy = parn_src(g, n, 0), *y = parn_src(g, n, 1);
    return parn_cuda_launched(parn_k_act_bwd(ctx->stream, (int)a->kind, a->alpha, a->beta,
                                             n->out.data, parn_cuda_view(&n->out), dy->data,
                                             parn_cuda_view(dy), y->data, parn_cuda_view(y)),
                              n);
}
