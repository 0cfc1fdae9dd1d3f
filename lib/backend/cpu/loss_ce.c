/* SPDX-License-Identifier: MIT */
/* STUB: loss_ce kernels are not implemented yet. */
#include "cpu.h"
#include "cpu_kernels.h"

parn_status parn_cpu_cross_entropy(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "cross_entropy: no cpu kernel yet");
}

parn_status parn_cpu_cross_entropy_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "cross_entropy_bwd: no cpu kernel yet");
}
