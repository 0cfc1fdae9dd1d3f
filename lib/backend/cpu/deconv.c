/* SPDX-License-Identifier: MIT */
/* Transposed convolution kernels: conv.c runs both directions (it maps PyTorch's IC x OC/G
 * weights onto oneDNN's deconvolution primitives), telling them apart by the node's op. */
#include "cpu.h"
#include "cpu_kernels.h"

parn_status parn_cpu_deconv(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    return parn_cpu_conv(ctx, g, n);
}

parn_status parn_cpu_deconv_bwd_data(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    return parn_cpu_conv_bwd_data(ctx, g, n);
}

parn_status parn_cpu_deconv_bwd_weights(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    return parn_cpu_conv_bwd_weights(ctx, g, n);
}
