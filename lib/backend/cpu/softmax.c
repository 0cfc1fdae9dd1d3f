/* SPDX-License-Identifier: MIT */
/* STUB: softmax kernels are not implemented yet. */
#include "cpu.h"
#include "cpu_kernels.h"

parn_status parn_cpu_softmax(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "softmax: no cpu kernel yet");
}

parn_status parn_cpu_softmax_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "softmax_bwd: no cpu kernel yet");
}
