/* SPDX-License-Identifier: MIT */
/* Every CPU kernel; each op family defines its own in lib/backend/cpu/<family>.c. */
#ifndef PARN_CPU_KERNELS_H
#define PARN_CPU_KERNELS_H

#include "backend/backend.h"

parn_status parn_cpu_conv(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_conv_bwd_data(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_conv_bwd_weights(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_deconv(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_deconv_bwd_data(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_deconv_bwd_weights(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_pool(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_pool_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_batch_norm(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_batch_norm_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_linear(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_linear_bwd_data(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_linear_bwd_weights(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_act(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_act_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_softmax(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_softmax_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_binary(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_affine(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_reduce(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_expand(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_concat(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_slice(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_pad(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_reshape(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_permute(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_resize(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_resize_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_dropout(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_side(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_cross_entropy(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_cross_entropy_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_bce_logits(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_bce_logits_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_dist_loss(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_dist_loss_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_ssim(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_ssim_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_cosine(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);
parn_status parn_cpu_cosine_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n);

#endif
