/* SPDX-License-Identifier: MIT */
/* STUB: loss_bce kernels are not implemented yet. */
#include "cpu.h"
#include "cpu_kernels.h"

parn_status parn_cpu_bce_logits(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "bce_logits: no cpu kernel yet");
}

parn_status parn_cpu_bce_logits_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "bce_logits_bwd: no cpu kernel yet");
}
