/* SPDX-License-Identifier: MIT */
/* The paper's training losses (section 3.4) composed from graph ops. Each function appends ops
 * to g and returns a scalar node, or -1 with the failure recorded on the graph (sticky). */
#ifndef PARN_TRAIN_LOSSES_H
#define PARN_TRAIN_LOSSES_H

#include "graph/graph.h"

/* Discriminator: BCE-with-logits of real logits toward 1 and fake toward 0, mean of the two means. */
int parn_loss_d_adversarial(parn_graph *g, int real_logits, int fake_logits);
/* Generator, non-saturating: BCE-with-logits of fake logits toward 1 (mean). */
int parn_loss_g_adversarial(parn_graph *g, int fake_logits);
/* 1 - SSIM(x, y) (Gaussian window 11, sigma 1.5, images in [0, 1]). */
int parn_loss_ssim_term(parn_graph *g, int x, int y);
/* Identity: mean over rows of relu(cos(e_x, e_g) - margin) where e_x, e_g are N x 128 descriptors
 * (e_x without gradient). Pushing the cosine below the margin moves G(X)'s identity away from X's. */
int parn_loss_identity(parn_graph *g, int e_x, int e_g, float margin);
/* Feature matching: mean over the layers of the L1 distance between D's features of real and fake
 * (the real ones without gradient). */
int parn_loss_feature_matching(parn_graph *g, int n, const int *real_feats, const int *fake_feats);
/* Classifier: cross-entropy (mean) + l2_weight * fem_l2 (fem_l2 = -1 for none). */
int parn_loss_classifier(parn_graph *g, int logits, int labels, int fem_l2, float l2_weight);
/* Weighted sum of scalar nodes (terms with weight 0 or node -1 skipped). */
int parn_loss_weighted_sum(parn_graph *g, int n, const int *terms, const float *weights);

/* A copy of x through which no gradient flows (torch's x.detach()). */
int parn_loss_detach(parn_graph *g, int x);

#endif
