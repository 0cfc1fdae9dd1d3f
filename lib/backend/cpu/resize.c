/* SPDX-License-Identifier: MIT */
/* STUB: resize kernels are not implemented yet. */
#include "cpu.h"
#include "cpu_kernels.h"

parn_status parn_cpu_resize(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "resize: no cpu kernel yet");
}

parn_status parn_cpu_resize_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx; (void)g; (void)n;
    return parn__fail(PARN_E_UNSUPPORTED, "resize_bwd: no cpu kernel yet");
}
