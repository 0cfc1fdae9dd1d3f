/* SPDX-License-Identifier: MIT */
/* The training losses of section 3.4 (see DESIGN.md "Losses" and docs/training.md), built
 * from existing graph ops so that autodiff gives their gradients. */
#include "losses.h"

int parn_loss_detach(parn_graph *g, int x)
{
    /* an identity copy whose requires_grad is cleared before anything consumes it: autodiff
     * neither enters it nor passes through it */
    int y = parn_affine(g, x, 1.0f, 0.0f);
    if (y >= 0) parn_graph_node(g, y)->requires_grad = false;
    return y;
}

/* A tensor of x's dims filled with value, outside the gradient (a BCE target). */
static int constant_like(parn_graph *g, int x, float value)
{
    int y = parn_affine(g, x, 0.0f, value);
    if (y >= 0) parn_graph_node(g, y)->requires_grad = false;
    return y;
}

int parn_loss_d_adversarial(parn_graph *g, int real_logits, int fake_logits)
{
    int real = parn_bce_logits(g, real_logits, constant_like(g, real_logits, 1.0f), PARN_REDUCE_MEAN);
    int fake = parn_bce_logits(g, fake_logits, constant_like(g, fake_logits, 0.0f), PARN_REDUCE_MEAN);
    return parn_affine(g, parn_add(g, real, fake), 0.5f, 0.0f);
}

int parn_loss_g_adversarial(parn_graph *g, int fake_logits)
{
    return parn_bce_logits(g, fake_logits, constant_like(g, fake_logits, 1.0f), PARN_REDUCE_MEAN);
}

int parn_loss_ssim_term(parn_graph *g, int x, int y)
{
    return parn_affine(g, parn_ssim(g, x, y, 11, 1.5f), -1.0f, 1.0f);
}

int parn_loss_identity(parn_graph *g, int e_x, int e_g, float margin)
{
    if (g && parn_graph_status(g) == PARN_OK && !(margin >= -1.0f && margin <= 1.0f))
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "identity loss: margin must be in [-1, 1], got %g",
                               (double)margin);
    int cos = parn_cosine(g, parn_loss_detach(g, e_x), e_g, 1e-8f);
    int hinge = parn_relu(g, parn_affine(g, cos, 1.0f, -margin));
    return parn_reduce(g, hinge, 0x1, true, false);
}

int parn_loss_feature_matching(parn_graph *g, int n, const int *real_feats, const int *fake_feats)
{
    if (!g || parn_graph_status(g) != PARN_OK) return -1;
    if (n < 1 || !real_feats || !fake_feats)
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "feature matching: needs n >= 1 layers, got %d", n);
    int sum = -1;
    for (int i = 0; i < n; i++) {
        int d = parn_l1_loss(g, fake_feats[i], parn_loss_detach(g, real_feats[i]), PARN_REDUCE_MEAN);
        sum = sum < 0 ? d : parn_add(g, sum, d);
    }
    return n == 1 ? sum : parn_affine(g, sum, 1.0f / (float)n, 0.0f);
}

int parn_loss_classifier(parn_graph *g, int logits, int labels, int fem_l2, float l2_weight)
{
    int ce = parn_cross_entropy(g, logits, labels, PARN_REDUCE_MEAN);
    if (fem_l2 < 0 || l2_weight == 0.0f) return ce;
    return parn_loss_weighted_sum(g, 2, (int[]){ce, fem_l2}, (float[]){1.0f, l2_weight});
}

int parn_loss_weighted_sum(parn_graph *g, int n, const int *terms, const float *weights)
{
    if (!g || parn_graph_status(g) != PARN_OK) return -1;
    if (n < 0 || (n > 0 && (!terms || !weights)))
        return parn_graph_fail(g, PARN_E_INVALID_ARG, "weighted sum: %d terms without arrays", n);
    int sum = -1;
    for (int i = 0; i < n; i++) {
        if (terms[i] < 0 || weights[i] == 0.0f) continue;
        const parn_tensor *t = parn_graph_tensor(g, terms[i]);
        if (!t || parn_tensor_numel(t) != 1)
            return parn_graph_fail(g, PARN_E_SHAPE, "weighted sum: term %d is not a scalar node", i);
        int w = weights[i] == 1.0f ? terms[i] : parn_affine(g, terms[i], weights[i], 0.0f);
        sum = sum < 0 ? w : parn_add(g, sum, w);
    }
    if (sum < 0) return parn_graph_fail(g, PARN_E_INVALID_ARG, "weighted sum: every term is skipped");
    return sum;
}
