/* SPDX-License-Identifier: MIT */
/* Mean structural similarity (Wang et al. 2004) of two N x C x H x W images with a Gaussian
 * window, per channel, without padding; both inputs are differentiable. */
#include "loss.h"

#include <math.h>

/* Stabilising constants for data in [0, 1]: (K1 * L)^2 and (K2 * L)^2 with L = 1. */
#define SSIM_C1 (0.01f * 0.01f)
#define SSIM_C2 (0.03f * 0.03f)

static parn_status check_srcs(const char *op, const parn_loss_attrs *a, const parn_tensor *x,
                              const parn_tensor *y)
{
    PARN_RETURN_IF(a->window < 1 || a->window % 2 == 0, PARN_E_INVALID_ARG,
                   "%s: window %d must be odd and >= 1", op, a->window);
    PARN_RETURN_IF(!(a->sigma > 0.0f) || !isfinite(a->sigma), PARN_E_INVALID_ARG,
                   "%s: sigma %g must be > 0", op, a->sigma);
    PARN_RETURN_IF(!(a->c1 > 0.0f && a->c2 > 0.0f) || !isfinite(a->c1) || !isfinite(a->c2),
                   PARN_E_INVALID_ARG, "%s: constants c1 %g and c2 %g must be > 0", op, a->c1,
                   a->c2);
    PARN_RETURN_IF(x->ndim != 4, PARN_E_SHAPE, "%s: x must be N x C x H x W, got %s", op,
                   parn_tensor_shape_str(x));
    PARN_TRY(parn_loss_check_same_dims(op, "x", x, "y", y));
    PARN_RETURN_IF(x->dims[2] < a->window || x->dims[3] < a->window, PARN_E_SHAPE,
                   "%s: image %s is smaller than the %d x %d window", op, parn_tensor_shape_str(x),
                   a->window, a->window);
    return PARN_OK;
}

static parn_status ssim_infer(const parn_graph *g, parn_node *n)
{
    PARN_TRY(check_srcs("ssim", &n->attrs.loss, parn_src(g, n, 0), parn_src(g, n, 1)));
    n->out.ndim = 0;
    return PARN_OK;
}

static parn_status ssim_bwd_infer(const parn_graph *g, parn_node *n)
{
    return parn_loss_pair_bwd_infer(g, n, "ssim backward", "x", "y", check_srcs);
}

const parn_op_def parn_def_ssim = {"ssim", 2, 2, true, ssim_infer, parn_loss_pair_backward};
const parn_op_def parn_def_ssim_bwd = {"ssim_bwd", 3, 3, false, ssim_bwd_infer, NULL};

int parn_ssim(parn_graph *g, int x, int y, int window, float sigma)
{
    parn_attrs a = {.loss = {.reduction = PARN_REDUCE_MEAN, .window = window, .sigma = sigma,
                             .c1 = SSIM_C1, .c2 = SSIM_C2}};
    return PARN_APPEND(g, PARN_OP_SSIM, &a, x, y);
}
