/* SPDX-License-Identifier: MIT */
/* Broadcasting elementwise kernels in plain C over any strides (OpenMP over outer dims). */
#include "cpu.h"
#include "cpu_kernels.h"
#include "strided.h"

/* Strides of t seen through out's rank: 0 along broadcast dims, dims right-aligned to 5. */
static void broadcast_strides(const parn_tensor *t, const parn_tensor *out, int64_t s[5])
{
    int off = 5 - out->ndim, toff = out->ndim - t->ndim;
    for (int i = 0; i < 5; i++) s[i] = 0;
    for (int i = 0; i < t->ndim; i++)
        s[off + toff + i] = t->dims[i] == 1 ? 0 : t->strides[i];
}

static void padded(const parn_tensor *t, int64_t d[5], int64_t s[5])
{
    int off = 5 - t->ndim;
    for (int i = 0; i < 5; i++) {
        d[i] = i < off ? 1 : t->dims[i - off];
        s[i] = i < off ? 0 : t->strides[i - off];
    }
}

/* Reorders the five loop dims by decreasing y stride (size-1 dims outermost), so that the
 * innermost loop runs along y's memory (channels for channels-last outputs) instead of
 * striding across it, which touches every cache line once per channel. */
static void order_by_output_strides(int64_t d[5], int64_t ys[5], int64_t as[5], int64_t bs[5])
{
    int64_t key[5];
    for (int i = 0; i < 5; i++) key[i] = d[i] == 1 ? INT64_MAX : ys[i];
    for (int i = 1; i < 5; i++)
        for (int j = i; j > 0 && key[j] > key[j - 1]; j--) {
            int64_t *arr[] = {key, d, ys, as, bs};
            for (int k = 0; k < 5; k++) {
                int64_t t = arr[k][j];
                arr[k][j] = arr[k][j - 1];
                arr[k][j - 1] = t;
            }
        }
}

static inline float apply(parn_binary_kind k, float a, float b)
{
    return k == PARN_BINARY_ADD ? a + b : k == PARN_BINARY_SUB ? a - b : a * b;
}

parn_status parn_cpu_binary(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    const parn_tensor *a = parn_src(g, n, 0), *b = parn_src(g, n, 1);
    parn_tensor *y = &n->out;
    parn_binary_kind k = n->attrs.binary.kind;
    if (parn_tensor_same_layout(a, y) && parn_tensor_same_layout(b, y) && parn_tensor_is_dense(y)) {
        int64_t total = parn_tensor_numel(y);
#pragma omp parallel for schedule(static) if (total > 32768)
        for (int64_t i = 0; i < total; i++) y->data[i] = apply(k, a->data[i], b->data[i]);
        return PARN_OK;
    }
    int64_t d[5], ys[5], as[5], bs[5];
    padded(y, d, ys);
    broadcast_strides(a, y, as);
    broadcast_strides(b, y, bs);
    order_by_output_strides(d, ys, as, bs);
    int64_t outer = d[0] * d[1] * d[2] * d[3];
#pragma omp parallel for schedule(static) if (outer * d[4] > 32768)
    for (int64_t o = 0; o < outer; o++) {
        int64_t i3 = o % d[3], i2 = o / d[3] % d[2], i1 = o / (d[3] * d[2]) % d[1],
                i0 = o / (d[3] * d[2] * d[1]);
        const float *pa = a->data + i0 * as[0] + i1 * as[1] + i2 * as[2] + i3 * as[3];
        const float *pb = b->data + i0 * bs[0] + i1 * bs[1] + i2 * bs[2] + i3 * bs[3];
        float *py = y->data + i0 * ys[0] + i1 * ys[1] + i2 * ys[2] + i3 * ys[3];
        for (int64_t i = 0; i < d[4]; i++) py[i * ys[4]] = apply(k, pa[i * as[4]], pb[i * bs[4]]);
    }
    return PARN_OK;
}

parn_status parn_cpu_affine(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    const parn_tensor *x = parn_src(g, n, 0);
    parn_tensor *y = &n->out;
    float alpha = n->attrs.affine.alpha, beta = n->attrs.affine.beta;
    /* y is dense in its own layout: re-lay x into it (parallel, tiled), then transform in place */
    if (!parn_tensor_same_layout(x, y) || !parn_tensor_is_dense(x))
        parn_walk_copy(y->ndim, y->dims, y->data, y->strides, x->data, x->strides);
    const float *src = parn_tensor_same_layout(x, y) && parn_tensor_is_dense(x) ? x->data : y->data;
    int64_t total = parn_tensor_numel(y);
#pragma omp parallel for schedule(static) if (total > 32768)
    for (int64_t i = 0; i < total; i++) y->data[i] = alpha * src[i] + beta;
    return PARN_OK;
}
