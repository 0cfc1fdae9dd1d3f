/* SPDX-License-Identifier: MIT */
/* STUB: loss_ssim kernels are not implemented yet. */
#include "cpu.h"
#include "cpu_kernels.h"

parn_status parn_cpu_ssim(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "ssim: no cpu kernel yet");
}

parn_status parn_cpu_ssim_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "ssim_bwd: no cpu kernel yet");
}
