/* SPDX-License-Identifier: MIT */
/* Bilinear resize and its adjoint in plain C over any strides (OpenMP). Source coordinates,
 * edge clamping and weights follow PyTorch's upsample_bilinear2d; the backward pass gathers
 * instead of scattering so that threads never write the same element. */
#include "cpu.h"
#include "cpu_kernels.h"
#include "strided.h"

#include <omp.h>
#include <string.h>

/* The two source indices and weights of one output row or column. */
typedef struct tap {
    int64_t i0, i1;
    float l0, l1;
} tap;

/* The output rows or columns that read source index i: [first, first + count). */
typedef struct span {
    int64_t first, count;
} span;

typedef struct resize_state {
    parn_cpu_state base;
    tap *th, *tw;   /* per output row, per output column */
    span *sh;       /* per source row (backward) */
    parn_cpu_scratch src;
} resize_state;

static void resize_state_destroy(parn_cpu_state *s)
{
    resize_state *r = (resize_state *)s;
    parn__free(r->th);
    parn__free(r->tw);
    parn__free(r->sh);
    parn_cpu_scratch_free(&r->src);
    parn__free(r);
}

static void compute_taps(int64_t in, int64_t out, bool align_corners, tap *t)
{
    double scale = align_corners ? (out > 1 ? (double)(in - 1) / (double)(out - 1) : 0.0)
                                 : (double)in / (double)out;
    for (int64_t o = 0; o < out; o++) {
        double src = align_corners ? scale * (double)o : scale * ((double)o + 0.5) - 0.5;
        if (src < 0) src = 0;
        int64_t i0 = (int64_t)src;
        if (i0 > in - 1) i0 = in - 1;
        double l1 = src - (double)i0;
        l1 = l1 < 0 ? 0 : l1 > 1 ? 1 : l1;
        t[o] = (tap){i0, i0 < in - 1 ? i0 + 1 : i0, (float)(1.0 - l1), (float)l1};
    }
}

/* Taps are monotonic and i1 <= i0 + 1, so the outputs reading a source index are contiguous. */
static void compute_spans(const tap *t, int64_t out, int64_t in, span *s)
{
    for (int64_t i = 0; i < in; i++) s[i] = (span){0, 0};
    for (int64_t o = 0; o < out; o++)
        for (int k = 0; k < 2; k++) {
            span *sp = &s[k ? t[o].i1 : t[o].i0];
            if (sp->count == 0) sp->first = o;
            sp->count = o - sp->first + 1;
        }
}

/* The weight of source index i in output o. */
static float weight_of(const tap *t, int64_t i)
{
    return (t->i0 == i ? t->l0 : 0.0f) + (t->i1 == i ? t->l1 : 0.0f);
}

static parn_status state_of(parn_node *n, const int64_t *src_dims, resize_state **out)
{
    if (!n->backend_state) {
        const parn_resize_attrs *a = &n->attrs.resize;
        int64_t h = src_dims[2], w = src_dims[3];
        resize_state *s = parn_cpu_state_new(sizeof *s, resize_state_destroy);
        if (s) {
            s->th = parn__malloc((size_t)a->out_h * sizeof(tap));
            s->tw = parn__malloc((size_t)a->out_w * sizeof(tap));
            s->sh = parn__malloc((size_t)h * sizeof(span));
        }
        if (!s || !s->th || !s->tw || !s->sh) {
            if (s) resize_state_destroy(&s->base);
            return parn__fail(PARN_E_NOMEM, "resize: out of memory");
        }
        compute_taps(h, a->out_h, a->align_corners, s->th);
        compute_taps(w, a->out_w, a->align_corners, s->tw);
        compute_spans(s->th, a->out_h, h, s->sh);
        n->backend_state = s;
    }
    *out = n->backend_state;
    return PARN_OK;
}

/* Channels are innermost in memory: loop over them last. */
static bool channels_inner(const parn_tensor *t)
{
    return t->strides[1] < t->strides[3] || t->dims[3] == 1;
}

/* src itself when its channels are innermost exactly when out's are, else a copy of src in
 * scratch laid out like out (channels-last or plain): the row kernels read whole cache lines
 * only when both orders match. */
static parn_status match_channel_order(const parn_tensor *src, const parn_tensor *out,
                                       parn_cpu_scratch *scratch, parn_tensor *res)
{
    *res = *src;
    if (channels_inner(src) == channels_inner(out)) return PARN_OK;
    PARN_TRY(parn_cpu_scratch_reserve(scratch, (size_t)parn_tensor_numel(src) * sizeof(float)));
    res->data = scratch->data;
    if (channels_inner(out))
        parn_tensor_set_channels_last(res);
    else
        parn_tensor_set_plain(res);
    parn_walk_copy(4, src->dims, res->data, res->strides, src->data, src->strides);
    return PARN_OK;
}

/* Image n, row i, channels c0 .. c0 + nc - 1: one unit of parallel work. */
typedef struct row_job {
    int64_t n, i, c0, nc;
} row_job;

/* Job r of the N x rows jobs with all channels each, or of the N x C x rows one-channel jobs. */
static row_job row_job_of(int64_t r, bool all_channels, int64_t C, int64_t rows)
{
    if (all_channels) return (row_job){r / rows, r % rows, 0, C};
    return (row_job){r / (C * rows), r % rows, r / rows % C, 1};
}

static void forward_row(const parn_tensor *x, parn_tensor *y, const resize_state *s, row_job j)
{
    int64_t n = j.n, oh = j.i, c0 = j.c0, nc = j.nc;
    const int64_t *xs = x->strides, *ys = y->strides;
    const tap *th = &s->th[oh];
    const float *r0 = x->data + n * xs[0] + c0 * xs[1] + th->i0 * xs[2];
    const float *r1 = x->data + n * xs[0] + c0 * xs[1] + th->i1 * xs[2];
    float *out = y->data + n * ys[0] + c0 * ys[1] + oh * ys[2];
    for (int64_t ow = 0; ow < y->dims[3]; ow++) {
        const tap *tw = &s->tw[ow];
        int64_t a = tw->i0 * xs[3], b = tw->i1 * xs[3];
        float *o = out + ow * ys[3];
        for (int64_t c = 0; c < nc; c++) {
            int64_t k = c * xs[1];
            o[c * ys[1]] = th->l0 * (tw->l0 * r0[a + k] + tw->l1 * r0[b + k]) +
                           th->l1 * (tw->l0 * r1[a + k] + tw->l1 * r1[b + k]);
        }
    }
}

parn_status parn_cpu_resize(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    parn_tensor *y = &n->out, xt;
    resize_state *s;
    PARN_TRY(state_of(n, parn_src(g, n, 0)->dims, &s));
    PARN_TRY(match_channel_order(parn_src(g, n, 0), y, &s->src, &xt));
    const parn_tensor *x = &xt;
    int64_t C = y->dims[1], OH = y->dims[2];
    bool all_channels = channels_inner(y);
    int64_t jobs = y->dims[0] * OH * (all_channels ? 1 : C);
#pragma omp parallel for schedule(static) if (parn_tensor_numel(y) > PARN_WALK_PARALLEL)
    for (int64_t r = 0; r < jobs; r++) forward_row(x, y, s, row_job_of(r, all_channels, C, OH));
    return PARN_OK;
}

/* Source row j of dx, gathered from the dy rows that read it. */
static void backward_row(const parn_tensor *dy, parn_tensor *dx, const resize_state *s, row_job j)
{
    int64_t n = j.n, h = j.i, c0 = j.c0, nc = j.nc;
    const int64_t *ys = dy->strides, *xs = dx->strides;
    float *row = dx->data + n * xs[0] + c0 * xs[1] + h * xs[2];
    for (int64_t w = 0; w < dx->dims[3]; w++)
        for (int64_t c = 0; c < nc; c++) row[w * xs[3] + c * xs[1]] = 0.0f;
    const span *sp = &s->sh[h];
    for (int64_t oh = sp->first; oh < sp->first + sp->count; oh++) {
        float wh = weight_of(&s->th[oh], h);
        const float *in = dy->data + n * ys[0] + c0 * ys[1] + oh * ys[2];
        for (int64_t ow = 0; ow < dy->dims[3]; ow++) {
            const tap *tw = &s->tw[ow];
            float w0 = wh * tw->l0, w1 = wh * tw->l1;
            float *a = row + tw->i0 * xs[3], *b = row + tw->i1 * xs[3];
            const float *d = in + ow * ys[3];
            for (int64_t c = 0; c < nc; c++) {
                float v = d[c * ys[1]];
                a[c * xs[1]] += w0 * v;
                b[c * xs[1]] += w1 * v;
            }
        }
    }
}

parn_status parn_cpu_resize_bwd(parn_backend_ctx *ctx, parn_graph *g, parn_node *n)
{
    parn_tensor *dx = &n->out, dyt;
    resize_state *s;
    PARN_TRY(state_of(n, dx->dims, &s));
    PARN_TRY(match_channel_order(parn_src(g, n, 0), dx, &s->src, &dyt));
    const parn_tensor *dy = &dyt;
    int64_t C = dx->dims[1], H = dx->dims[2];
    bool all_channels = channels_inner(dx);
    int64_t jobs = dx->dims[0] * H * (all_channels ? 1 : C);
#pragma omp parallel for schedule(static) if (parn_tensor_numel(dy) > PARN_WALK_PARALLEL)
    for (int64_t r = 0; r < jobs; r++) backward_row(dy, dx, s, row_job_of(r, all_channels, C, H));
    return PARN_OK;
}
