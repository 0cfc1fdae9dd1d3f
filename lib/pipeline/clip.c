/* SPDX-License-Identifier: MIT */
/* Classifier preprocessing: a separable antialiased bilinear resize that computes only the
 * centre crop's pixels, straight from packed RGB frames or from an RGB24 conversion. */
#include "clip.h"

#include "io/frame_rgb.h"

#include <math.h>

#define PAPER_HEIGHT 128
#define PAPER_WIDTH 171
/* Multiply-adds below which a pass stays on one thread: about a millisecond of work, where
 * waking the team costs more than it saves (VGA frames and below stay serial). */
#define PARALLEL_WORK 1000000

/* Filter taps of one axis: output i reads span[2i + 1] inputs from span[2i] with weights
 * w[i * max_taps + k] (normalised to sum 1). */
typedef struct axis_taps {
    int *span;
    float *w;
    int max_taps;
    size_t span_cap, w_cap; /* elements allocated */
} axis_taps;

struct parn_clip_prep {
    parn_rgb_converter *rgb;
    axis_taps x, y;
    float *rows;            /* horizontal pass: needed source rows x crop x 3 */
    size_t rows_cap;
};

/* Packed RGB bytes: pixel (x, y) channel c at data[y * stride + x * bpp + offset[c]]. */
typedef struct rgb_source {
    const uint8_t *data;
    int width, height, stride, bpp;
    int offset[3];
} rgb_source;

parn_clip_geometry parn_clip_geometry_for(int crop)
{
    parn_clip_geometry g = {PAPER_HEIGHT, PAPER_WIDTH, crop, 0, 0};
    if (crop > PAPER_HEIGHT) {
        g.height = crop;
        g.width = (crop * PAPER_WIDTH + PAPER_HEIGHT / 2) / PAPER_HEIGHT;
    }
    g.top = (g.height - crop) / 2;
    g.left = (g.width - crop) / 2;
    return g;
}

parn_clip_prep *parn_clip_prep_create(void)
{
    parn_clip_prep *p = parn__calloc(1, sizeof *p);
    if (p) p->rgb = parn_rgb_converter_create();
    if (p && !p->rgb) {
        parn__free(p);
        return NULL;
    }
    return p;
}

static void taps_free(axis_taps *t)
{
    parn__free(t->span);
    parn__free(t->w);
}

void parn_clip_prep_destroy(parn_clip_prep *p)
{
    if (!p) return;
    parn_rgb_converter_destroy(p->rgb);
    taps_free(&p->x);
    taps_free(&p->y);
    parn__free(p->rows);
    parn__free(p);
}

/* Grows *buf to hold n elements of size bytes each (contents are not kept). */
static parn_status reserve(void **buf, size_t *cap, size_t n, size_t size)
{
    if (*cap >= n) return PARN_OK;
    void *p = parn__malloc(n * size);
    PARN_RETURN_IF(!p, PARN_E_NOMEM, "classify: out of memory for preprocessing buffers");
    parn__free(*buf);
    *buf = p;
    *cap = n;
    return PARN_OK;
}

static double triangle(double x)
{
    x = fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* Taps of outputs origin .. origin + n - 1 of an in -> out resize, as PIL and PyTorch's
 * antialiased bilinear compute them: the output pixel centre maps to (i + 0.5) * in / out, and
 * when shrinking the triangle is widened by the factor so that every input pixel counts. */
static parn_status compute_taps(axis_taps *t, int in, int out, int origin, int n)
{
    double scale = (double)in / out, widen = scale > 1.0 ? scale : 1.0, support = widen;
    t->max_taps = 2 * (int)ceil(support) + 1;
    PARN_TRY(reserve((void **)&t->span, &t->span_cap, 2 * (size_t)n, sizeof(int)));
    PARN_TRY(reserve((void **)&t->w, &t->w_cap, (size_t)n * (size_t)t->max_taps, sizeof(float)));
    for (int i = 0; i < n; i++) {
        double center = (origin + i + 0.5) * scale, total = 0.0;
        int lo = (int)(center - support + 0.5), hi = (int)(center + support + 0.5);
        lo = lo < 0 ? 0 : lo;
        hi = hi > in ? in : hi;
        for (int k = lo; k < hi; k++) total += triangle((k - center + 0.5) / widen);
        float *w = t->w + (size_t)i * (size_t)t->max_taps;
        for (int k = lo; k < hi; k++) /* total > 0: the pixel under the centre always counts */
            w[k - lo] = (float)(triangle((k - center + 0.5) / widen) / total);
        t->span[2 * i] = lo;
        t->span[2 * i + 1] = hi - lo;
    }
    return PARN_OK;
}

/* Horizontal pass over the source rows the vertical taps need: rows[r][x][c] (0..255). */
static void resample_rows(const rgb_source *src, const axis_taps *tx, int crop, int first_row,
                          int n_rows, float *rows)
{
    size_t work = (size_t)n_rows * (size_t)crop * (size_t)tx->max_taps * 3;
#pragma omp parallel for if (work > PARALLEL_WORK)
    for (int r = 0; r < n_rows; r++) {
        const uint8_t *line = src->data + (size_t)(first_row + r) * (size_t)src->stride;
        float *dst = rows + (size_t)r * (size_t)crop * 3;
        for (int x = 0; x < crop; x++) {
            const float *w = tx->w + (size_t)x * (size_t)tx->max_taps;
            const uint8_t *px = line + (size_t)tx->span[2 * x] * (size_t)src->bpp;
            float acc[3] = {0, 0, 0};
            for (int k = 0; k < tx->span[2 * x + 1]; k++, px += src->bpp)
                for (int c = 0; c < 3; c++) acc[c] += w[k] * (float)px[src->offset[c]];
            for (int c = 0; c < 3; c++) dst[3 * x + c] = acc[c];
        }
    }
}

/* Vertical pass: out[c][y][x] = sum_k w_k rows[span start of y + k][x][c] / 255. */
static void resample_columns(const axis_taps *ty, int crop, int first_row, const float *rows,
                             float *out, size_t plane_stride)
{
    size_t row_floats = (size_t)crop * 3, work = (size_t)crop * row_floats * (size_t)ty->max_taps;
#pragma omp parallel for if (work > PARALLEL_WORK)
    for (int y = 0; y < crop; y++) {
        const float *w = ty->w + (size_t)y * (size_t)ty->max_taps;
        const float *base = rows + (size_t)(ty->span[2 * y] - first_row) * row_floats;
        float *dst = out + (size_t)y * (size_t)crop;
        for (int x = 0; x < crop; x++) {
            float acc[3] = {0, 0, 0};
            const float *column = base + 3 * (size_t)x;
            for (int k = 0; k < ty->span[2 * y + 1]; k++, column += row_floats)
                for (int c = 0; c < 3; c++) acc[c] += w[k] * column[c];
            for (int c = 0; c < 3; c++) dst[(size_t)c * plane_stride + (size_t)x] = acc[c] / 255.0f;
        }
    }
}

/* The frame as packed RGB bytes: packed formats as they are, the others through libswscale. */
static parn_status source_of(parn_clip_prep *p, const parn_frame_t *frame, rgb_source *src)
{
    *src = (rgb_source){.width = parn_frame_width(frame), .height = parn_frame_height(frame),
                        .bpp = 3, .offset = {0, 1, 2}};
    switch (parn_frame_format(frame)) {
    case PARN_PIX_BGR24: src->offset[0] = 2, src->offset[2] = 0; break;
    case PARN_PIX_RGBA: src->bpp = 4; break;
    case PARN_PIX_RGB24: break;
    default: return parn_frame_to_rgb(p->rgb, frame, &src->data, &src->stride);
    }
    src->data = parn_frame_plane(frame, 0);
    src->stride = parn_frame_stride(frame, 0);
    return PARN_OK;
}

parn_status parn_clip_prep_frame(parn_clip_prep *p, const parn_frame_t *frame, int crop, float *out,
                                 size_t plane_stride)
{
    PARN_RETURN_IF(crop < 1, PARN_E_INVALID_ARG, "classify: crop %d out of range", crop);
    parn_clip_geometry g = parn_clip_geometry_for(crop);
    return parn_clip_prep_frame_at(p, frame, &g, out, plane_stride);
}

parn_status parn_clip_prep_frame_at(parn_clip_prep *p, const parn_frame_t *frame,
                                    const parn_clip_geometry *g, float *out, size_t plane_stride)
{
    PARN_RETURN_IF(!p || !frame || !out || !g, PARN_E_INVALID_ARG, "classify: NULL frame or buffer");
    int crop = g->crop;
    PARN_RETURN_IF(crop < 1 || plane_stride < (size_t)crop * (size_t)crop, PARN_E_INVALID_ARG,
                   "classify: crop %d or plane stride %zu out of range", crop, plane_stride);
    PARN_RETURN_IF(g->top < 0 || g->left < 0 || g->top + crop > g->height ||
                       g->left + crop > g->width,
                   PARN_E_INVALID_ARG, "classify: crop %d at (%d, %d) outside the %dx%d resize",
                   crop, g->left, g->top, g->width, g->height);
    PARN_RETURN_IF(parn_pixel_format_planes(parn_frame_format(frame)) == 0, PARN_E_INVALID_ARG,
                   "classify: frame of unknown pixel format %d", (int)parn_frame_format(frame));
    rgb_source src;
    PARN_TRY(source_of(p, frame, &src));
    PARN_TRY(compute_taps(&p->x, src.width, g->width, g->left, crop));
    PARN_TRY(compute_taps(&p->y, src.height, g->height, g->top, crop));
    /* the spans move forward with the output row: these are all the rows the crop reads */
    int first = p->y.span[0], last = p->y.span[2 * crop - 2] + p->y.span[2 * crop - 1];
    size_t row_floats = (size_t)crop * 3;
    PARN_TRY(reserve((void **)&p->rows, &p->rows_cap, (size_t)(last - first) * row_floats,
                     sizeof(float)));
    resample_rows(&src, &p->x, crop, first, last - first, p->rows);
    resample_columns(&p->y, crop, first, p->rows, out, plane_stride);
    return PARN_OK;
}
