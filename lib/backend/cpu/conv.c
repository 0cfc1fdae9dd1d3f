/* SPDX-License-Identifier: MIT */
/* STUB: conv kernels are not implemented yet. */
#include "cpu.h"
#include "cpu_kernels.h"

parn_status parn_cpu_conv(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "conv: no cpu kernel yet");
}

parn_status parn_cpu_conv_bwd_data(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "conv_bwd_data: no cpu kernel yet");
}

parn_status parn_cpu_conv_bwd_weights(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "conv_bwd_weights: no cpu kernel yet");
}
