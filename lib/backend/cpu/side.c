/* SPDX-License-Identifier: MIT */
/* Copies a node's side output into a node of its own. */
#include "cpu.h"
#include "cpu_kernels.h"

parn_status parn_cpu_side(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    const parn_node *src = parn_src_node(g, n, 0);
    parn_tensor_copy(&n->out, &src->side[n->attrs.side.index]);
    return PARN_OK;
}
