/* SPDX-License-Identifier: MIT */
/* Cross-entropy on logits and its gradient in plain C, with a stable log-sum-exp per row. */
#include "cpu.h"
#include "cpu_kernels.h"

#include <math.h>

/* Labels arrive as floats: each must be an integer class index in [0, classes). */
static parn_status check_labels(const char *op, const parn_tensor *labels, int64_t classes)
{
    for (int64_t i = 0; i < labels->dims[0]; i++) {
        float l = labels->data[i * labels->strides[0]];
        PARN_RETURN_IF(!(l >= 0.0f && l < (float)classes && l == floorf(l)), PARN_E_INVALID_ARG,
                       "%s: label %g of row %lld is not a class index in [0, %lld)", op, l,
                       (long long)i, (long long)classes);
    }
    return PARN_OK;
}

/* log(sum(exp(row))) around the row's maximum, so that large logits do not overflow. */
static double log_sum_exp(const float *row, int64_t n, int64_t stride)
{
    double m = row[0];
    for (int64_t c = 1; c < n; c++)
        if (row[c * stride] > m) m = row[c * stride];
    double s = 0;
    for (int64_t c = 0; c < n; c++) s += exp((double)row[c * stride] - m);
    return m + log(s);
}

parn_status parn_cpu_cross_entropy(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    const parn_tensor *x = parn_src(g, n, 0), *labels = parn_src(g, n, 1);
    int64_t rows = x->dims[0], classes = x->dims[1];
    PARN_TRY(check_labels("cross_entropy", labels, classes));
    double sum = 0;
#pragma omp parallel for schedule(static) reduction(+ : sum) if (rows * classes > 16384)
    for (int64_t i = 0; i < rows; i++) {
        const float *row = x->data + i * x->strides[0];
        int64_t label = (int64_t)labels->data[i * labels->strides[0]];
        sum += log_sum_exp(row, classes, x->strides[1]) - (double)row[label * x->strides[1]];
    }
    n->out.data[0] = (float)(n->attrs.loss.reduction == PARN_REDUCE_MEAN ? sum / (double)rows : sum);
    return PARN_OK;
}

/* dlogits = dy * scale * (softmax(logits) - onehot(label)). */
parn_status parn_cpu_cross_entropy_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    (void)ctx;
    const parn_tensor *x = parn_src(g, n, 1), *labels = parn_src(g, n, 2);
    parn_tensor *dx = &n->out;
    int64_t rows = x->dims[0], classes = x->dims[1];
    PARN_TRY(check_labels("cross_entropy backward", labels, classes));
    double scale = parn_src(g, n, 0)->data[0];
    if (n->attrs.loss.reduction == PARN_REDUCE_MEAN) scale /= (double)rows;
#pragma omp parallel for schedule(static) if (rows * classes > 16384)
    for (int64_t i = 0; i < rows; i++) {
        const float *row = x->data + i * x->strides[0];
        float *drow = dx->data + i * dx->strides[0];
        int64_t label = (int64_t)labels->data[i * labels->strides[0]];
        double lse = log_sum_exp(row, classes, x->strides[1]);
        for (int64_t c = 0; c < classes; c++) {
            double p = exp((double)row[c * x->strides[1]] - lse);
            drow[c * dx->strides[1]] = (float)(scale * (p - (c == label ? 1.0 : 0.0)));
        }
    }
    return PARN_OK;
}
