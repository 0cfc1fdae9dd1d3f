/* SPDX-License-Identifier: MIT */
/* Every graph op: its type, its attributes, its definition (shape inference and gradient
 * rule) and its builder. Each op family lives in lib/graph/ops/<family>.c (definition and
 * builder) and lib/backend/<backend>/<family>.c (kernels).
 *
 * Conventions shared by all ops
 * - Shapes are PyTorch's: x is N x C x H x W (rank 2) or N x C x D x H x W (rank 3);
 *   conv weights are OC x IC/groups x kD x kH x kW; transposed-conv weights are
 *   IC x OC/groups x k...; linear weights are OC x IC.
 * - Spatial attributes are arrays of 3 used for the first `rank` spatial dims (D, H, W for
 *   rank 3; H, W for rank 2).
 * - Dilation follows PyTorch: 1 means none.
 * - Backward ops carry the forward attributes plus src_dims (the dims of the input whose
 *   gradient they compute). */
#ifndef PARN_OPS_H
#define PARN_OPS_H

#include "core/core.h"

typedef struct parn_graph parn_graph;
typedef struct parn_node parn_node;

typedef enum parn_op_type {
    PARN_OP_INPUT,
    PARN_OP_PARAM,
    /* conv.c */
    PARN_OP_CONV,               /* src: x, w[, b] */
    PARN_OP_CONV_BWD_DATA,      /* src: dy, w            -> dx */
    PARN_OP_CONV_BWD_WEIGHTS,   /* src: dy, x            -> dw; side[0] = db when has_bias */
    /* deconv.c */
    PARN_OP_DECONV,             /* src: x, w[, b] (transposed convolution) */
    PARN_OP_DECONV_BWD_DATA,    /* src: dy, w            -> dx */
    PARN_OP_DECONV_BWD_WEIGHTS, /* src: dy, x            -> dw; side[0] = db when has_bias */
    /* pool.c */
    PARN_OP_POOL,               /* src: x */
    PARN_OP_POOL_BWD,           /* src: dy, x, y (y = the POOL node) -> dx */
    /* batch_norm.c */
    PARN_OP_BATCH_NORM,         /* src: x, gamma, beta, running_mean, running_var;
                                   training: side[0] = batch mean, side[1] = batch variance
                                   (biased), running stats updated in place */
    PARN_OP_BATCH_NORM_BWD,     /* src: dy, x, gamma, fwd (the BATCH_NORM node)
                                   -> dx; side[0] = dgamma, side[1] = dbeta */
    /* linear.c */
    PARN_OP_LINEAR,             /* src: x (N x IC), w (OC x IC)[, b (OC)] -> N x OC */
    PARN_OP_LINEAR_BWD_DATA,    /* src: dy, w            -> dx */
    PARN_OP_LINEAR_BWD_WEIGHTS, /* src: dy, x            -> dw; side[0] = db when has_bias */
    /* act.c */
    PARN_OP_ACT,                /* src: x */
    PARN_OP_ACT_BWD,            /* src: dy, y (y = the ACT node) -> dx */
    /* softmax.c */
    PARN_OP_SOFTMAX,            /* src: x */
    PARN_OP_SOFTMAX_BWD,        /* src: dy, y            -> dx */
    /* binary.c */
    PARN_OP_BINARY,             /* src: a, b; numpy broadcasting */
    PARN_OP_AFFINE,             /* src: x; y = alpha * x + beta */
    /* reduce.c */
    PARN_OP_REDUCE,             /* src: x; sum or mean over an axis mask */
    PARN_OP_EXPAND,             /* src: x; broadcast to dims (reverse of a keepdim reduce) */
    /* shape.c: layout plumbing */
    PARN_OP_CONCAT,             /* src: x0..xn-1 along axis */
    PARN_OP_SLICE,              /* src: x; a box of x */
    PARN_OP_PAD,                /* src: x; constant padding, per-dim low and high */
    PARN_OP_RESHAPE,            /* src: x; same numel, row-major order */
    PARN_OP_PERMUTE,            /* src: x; dims reordered: out dim i = x dim perm[i] */
    /* resize.c */
    PARN_OP_RESIZE,             /* src: x (4-D); bilinear */
    PARN_OP_RESIZE_BWD,         /* src: dy               -> dx */
    /* dropout.c */
    PARN_OP_DROPOUT,            /* src: x; side[0] = mask already scaled by 1 / (1 - p) */
    /* side.c */
    PARN_OP_SIDE,               /* src: node; a copy of that node's side output k */
    /* losses: loss_ce.c, loss_bce.c, loss_dist.c, loss_ssim.c, loss_cosine.c */
    PARN_OP_CROSS_ENTROPY,      /* src: logits (N x C), labels (N, class indices as floats) */
    PARN_OP_CROSS_ENTROPY_BWD,  /* src: dy, logits, labels -> dlogits */
    PARN_OP_BCE_LOGITS,         /* src: x, target (same dims) */
    PARN_OP_BCE_LOGITS_BWD,     /* src: dy, x, target    -> dx */
    PARN_OP_DIST_LOSS,          /* src: x, target; L1 or L2 (squared error) */
    PARN_OP_DIST_LOSS_BWD,      /* src: dy, x, target    -> dx (which = 0) or dtarget (1) */
    PARN_OP_SSIM,               /* src: x, y (N x C x H x W); mean SSIM */
    PARN_OP_SSIM_BWD,           /* src: dy, x, y         -> dx (which = 0) or dy (1) */
    PARN_OP_COSINE,             /* src: a, b (N x D); per-row cosine similarity -> N */
    PARN_OP_COSINE_BWD,         /* src: dy, a, b         -> da (which = 0) or db (1) */
    PARN_OP__COUNT
} parn_op_type;

/* ---- attributes ---------------------------------------------------------------------------- */

typedef struct parn_conv_attrs {
    int rank;                       /* 2 or 3 spatial dims */
    int stride[3];
    int pad_lo[3], pad_hi[3];       /* asymmetric padding (TF "SAME" needs it) */
    int dilation[3];                /* PyTorch convention, 1 = none */
    int out_pad[3];                 /* transposed conv: extra rows at the high end of the output */
    int groups;
    bool has_bias;                  /* set by the builder */
    int64_t src_dims[5];            /* backward ops: the dims of x */
} parn_conv_attrs;

typedef struct parn_pool_attrs {
    int rank;
    int kernel[3], stride[3];
    int pad_lo[3], pad_hi[3];
    bool max;                       /* max pooling, else average */
    bool count_include_pad;         /* average: divide by the full kernel size */
    int64_t src_dims[5];
} parn_pool_attrs;

typedef struct parn_batch_norm_attrs {
    float eps;                      /* default 1e-5 */
    float momentum;                 /* running = (1 - m) * running + m * batch; default 0.1 */
    bool training;                  /* batch statistics (and running-stat update), else running */
} parn_batch_norm_attrs;

typedef struct parn_linear_attrs {
    bool has_bias;
    int64_t src_dims[5];
} parn_linear_attrs;

typedef enum parn_act_kind {
    PARN_ACT_RELU,
    PARN_ACT_LEAKY_RELU,            /* alpha = negative slope */
    PARN_ACT_SIGMOID,
    PARN_ACT_TANH,
    PARN_ACT_CLIP                   /* clamp to [alpha, beta]; ReLU6 = clip(0, 6) */
} parn_act_kind;

typedef struct parn_act_attrs {
    parn_act_kind kind;
    float alpha, beta;
} parn_act_attrs;

typedef struct parn_softmax_attrs {
    int axis;
    bool log;                       /* log-softmax */
} parn_softmax_attrs;

typedef enum parn_binary_kind { PARN_BINARY_ADD, PARN_BINARY_SUB, PARN_BINARY_MUL } parn_binary_kind;

typedef struct parn_binary_attrs {
    parn_binary_kind kind;
} parn_binary_attrs;

typedef struct parn_affine_attrs {
    float alpha, beta;
} parn_affine_attrs;

typedef struct parn_reduce_attrs {
    unsigned axes;                  /* bit i set: reduce over dim i */
    bool mean;                      /* mean, else sum */
    bool keepdim;
} parn_reduce_attrs;

typedef struct parn_shape_attrs {
    int ndim;
    int64_t dims[5];                /* EXPAND, RESHAPE: output dims; SLICE: sizes */
    int64_t start[5];               /* SLICE: first index per dim */
    int64_t lo[5], hi[5];           /* PAD: per-dim padding */
    float value;                    /* PAD: fill value */
    int axis;                       /* CONCAT */
    int perm[5];                    /* PERMUTE */
} parn_shape_attrs;

typedef struct parn_resize_attrs {
    int64_t out_h, out_w;
    bool align_corners;
    int64_t src_dims[5];
} parn_resize_attrs;

typedef struct parn_dropout_attrs {
    float p;
    bool training;                  /* identity when false */
} parn_dropout_attrs;

typedef struct parn_side_attrs {
    int index;
} parn_side_attrs;

typedef enum parn_reduction { PARN_REDUCE_MEAN, PARN_REDUCE_SUM } parn_reduction;

typedef struct parn_loss_attrs {
    parn_reduction reduction;
    bool l1;                        /* DIST_LOSS: L1, else squared error */
    int which;                      /* backward ops: which src's gradient */
    /* SSIM */
    int window;                     /* Gaussian window size, default 11 */
    float sigma;                    /* default 1.5 */
    float c1, c2;                   /* default (0.01)^2, (0.03)^2 for data in [0, 1] */
    /* COSINE */
    float eps;                      /* default 1e-8 */
} parn_loss_attrs;

typedef union parn_attrs {
    parn_conv_attrs conv;
    parn_pool_attrs pool;
    parn_batch_norm_attrs bn;
    parn_linear_attrs linear;
    parn_act_attrs act;
    parn_softmax_attrs softmax;
    parn_binary_attrs binary;
    parn_affine_attrs affine;
    parn_reduce_attrs reduce;
    parn_shape_attrs shape;
    parn_resize_attrs resize;
    parn_dropout_attrs dropout;
    parn_side_attrs side;
    parn_loss_attrs loss;
} parn_attrs;

/* ---- definitions ----------------------------------------------------------------------------- */

typedef struct parn_op_def {
    const char *name;
    int min_src, max_src;
    bool plain_out;   /* output stored plain row-major (weight gradients, scalars) */
    /* Validates attributes and src shapes, sets n->out.ndim/dims (and n->n_side, side dims).
     * Returns a status with a message naming the op. */
    parn_status (*infer)(const parn_graph *g, parn_node *n);
    /* Appends the gradient of each src given dy (the node holding dL/dout); dsrc[i] = node id
     * or -1. NULL when the op is not differentiable. Called only when n requires grad. */
    parn_status (*backward)(parn_graph *g, int node, int dy, int *dsrc);
} parn_op_def;

const parn_op_def *parn_op_def_of(parn_op_type op);

/* ---- builders (one family per file in lib/graph/ops/) ------------------------------------ */

/* Attribute helpers: stride 1, no padding, dilation 1, groups 1. */
parn_conv_attrs parn_conv_attrs_default(int rank);
parn_pool_attrs parn_pool_attrs_default(int rank, bool max, int kernel);

/* y = conv(x, w) + b. b = -1 for no bias. */
int parn_conv(parn_graph *g, int x, int w, int b, const parn_conv_attrs *a);
/* Transposed convolution; output size (i-1)*s - pad_lo - pad_hi + d*(k-1) + out_pad + 1. */
int parn_deconv(parn_graph *g, int x, int w, int b, const parn_conv_attrs *a);
int parn_pool(parn_graph *g, int x, const parn_pool_attrs *a);
/* Average or max over all spatial positions -> N x C x 1 x 1 (x 1). */
int parn_global_pool(parn_graph *g, int x, bool max);
int parn_batch_norm(parn_graph *g, int x, int gamma, int beta, int running_mean,
                    int running_var, const parn_batch_norm_attrs *a);
/* x: N x IC (reshape first when x has more dims); b = -1 for no bias. */
int parn_linear(parn_graph *g, int x, int w, int b);

int parn_act(parn_graph *g, int x, parn_act_kind kind, float alpha, float beta);
int parn_relu(parn_graph *g, int x);
int parn_leaky_relu(parn_graph *g, int x, float slope);
int parn_sigmoid(parn_graph *g, int x);
int parn_tanh(parn_graph *g, int x);
int parn_clip(parn_graph *g, int x, float lo, float hi);

int parn_softmax(parn_graph *g, int x, int axis, bool log);

int parn_add(parn_graph *g, int a, int b);
int parn_sub(parn_graph *g, int a, int b);
int parn_mul(parn_graph *g, int a, int b);
int parn_affine(parn_graph *g, int x, float alpha, float beta);

int parn_reduce(parn_graph *g, int x, unsigned axes, bool mean, bool keepdim);
int parn_expand(parn_graph *g, int x, int ndim, const int64_t *dims);
/* Sums x over broadcast dims so that it gets dims (the gradient of broadcasting). */
int parn_sum_to(parn_graph *g, int x, int ndim, const int64_t *dims);

int parn_concat(parn_graph *g, int n, const int *xs, int axis);
int parn_slice(parn_graph *g, int x, const int64_t *start, const int64_t *sizes);
/* Splits x along axis into n parts of the given sizes; writes n node ids to out. */
parn_status parn_split(parn_graph *g, int x, int axis, int n, const int64_t *sizes, int *out);
int parn_pad(parn_graph *g, int x, const int64_t *lo, const int64_t *hi, float value);
int parn_reshape(parn_graph *g, int x, int ndim, const int64_t *dims);
/* Reorders dims like torch.permute: out dim i is x dim perm[i] (perm has x's rank entries). */
int parn_permute(parn_graph *g, int x, const int *perm);

int parn_resize_bilinear(parn_graph *g, int x, int64_t out_h, int64_t out_w, bool align_corners);
int parn_dropout(parn_graph *g, int x, float p, bool training);
int parn_side(parn_graph *g, int node, int index);

int parn_cross_entropy(parn_graph *g, int logits, int labels, parn_reduction r);
int parn_bce_logits(parn_graph *g, int x, int target, parn_reduction r);
int parn_l1_loss(parn_graph *g, int x, int target, parn_reduction r);
int parn_l2_loss(parn_graph *g, int x, int target, parn_reduction r);
/* Mean SSIM of x and y over all pixels and channels (Gaussian window as in Wang et al. 2004). */
int parn_ssim(parn_graph *g, int x, int y, int window, float sigma);
int parn_cosine(parn_graph *g, int a, int b, float eps);

#endif
