/* SPDX-License-Identifier: MIT */
/* STUB: shape kernels are not implemented yet. */
#include "cpu.h"
#include "cpu_kernels.h"

parn_status parn_cpu_concat(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "concat: no cpu kernel yet");
}

parn_status parn_cpu_slice(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "slice: no cpu kernel yet");
}

parn_status parn_cpu_pad(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "pad: no cpu kernel yet");
}

parn_status parn_cpu_reshape(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "reshape: no cpu kernel yet");
}
