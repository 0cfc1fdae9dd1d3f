/* SPDX-License-Identifier: MIT */
/* STUB: batch_norm kernels are not implemented yet. */
#include "cpu.h"
#include "cpu_kernels.h"

parn_status parn_cpu_batch_norm(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "batch_norm: no cpu kernel yet");
}

parn_status parn_cpu_batch_norm_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "batch_norm_bwd: no cpu kernel yet");
}
