/* SPDX-License-Identifier: MIT */
/* Blur, pixelation and solid fill: constant work per pixel whatever the face's size. */
#include "effects.h"

#define PARALLEL_PIXELS 65536
#define BLUR_PASSES 3 /* three box blurs approach a Gaussian */

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* One box blur along a row of n pixels (3 channels): a running sum over [i - r, i + r], edges
 * repeated. */
static void box_row(const float *src, float *dst, int n, int r)
{
    float inv = 1.0f / (float)(2 * r + 1);
    float sum[3] = {0, 0, 0};
    for (int k = -r; k <= r; k++)
        for (int c = 0; c < 3; c++) sum[c] += src[3 * clampi(k, 0, n - 1) + c];
    for (int i = 0; i < n; i++) {
        const float *out = src + 3 * clampi(i - r, 0, n - 1);
        const float *in = src + 3 * clampi(i + r + 1, 0, n - 1);
        for (int c = 0; c < 3; c++) {
            dst[3 * i + c] = sum[c] * inv;
            sum[c] += in[c] - out[c];
        }
    }
}

/* The same down the columns [x0, x1), a row at a time so that memory is read in order. */
#define COLUMN_STRIP 128
static void box_columns(const float *src, float *dst, int w, int h, int r, int x0, int x1)
{
    float inv = 1.0f / (float)(2 * r + 1), sum[3 * COLUMN_STRIP] = {0};
    size_t row = 3 * (size_t)w, n = 3 * (size_t)(x1 - x0);
    src += 3 * (size_t)x0, dst += 3 * (size_t)x0;
    for (int k = -r; k <= r; k++) {
        const float *line = src + (size_t)clampi(k, 0, h - 1) * row;
        for (size_t i = 0; i < n; i++) sum[i] += line[i];
    }
    for (int y = 0; y < h; y++) {
        const float *out = src + (size_t)clampi(y - r, 0, h - 1) * row;
        const float *in = src + (size_t)clampi(y + r + 1, 0, h - 1) * row;
        float *d = dst + (size_t)y * row;
        for (size_t i = 0; i < n; i++) {
            d[i] = sum[i] * inv;
            sum[i] += in[i] - out[i];
        }
    }
}

void parn_effect_blur(float *rgb, int w, int h, int radius, float *scratch)
{
    if (radius < 1 || w < 1 || h < 1) return;
    size_t row = 3 * (size_t)w;
    int strips = (w + COLUMN_STRIP - 1) / COLUMN_STRIP;
    for (int pass = 0; pass < BLUR_PASSES; pass++) {
#pragma omp parallel for if ((long)w * h > PARALLEL_PIXELS)
        for (int y = 0; y < h; y++)
            box_row(rgb + (size_t)y * row, scratch + (size_t)y * row, w, radius);
#pragma omp parallel for if ((long)w * h > PARALLEL_PIXELS)
        for (int k = 0; k < strips; k++) {
            int x0 = k * COLUMN_STRIP, x1 = x0 + COLUMN_STRIP < w ? x0 + COLUMN_STRIP : w;
            box_columns(scratch, rgb, w, h, radius, x0, x1);
        }
    }
}

/* Paints the tile [x0, x1) x [y0, y1) with its mean colour. */
static void flatten_tile(float *rgb, size_t row, int x0, int x1, int y0, int y1)
{
    double sum[3] = {0, 0, 0};
    for (int y = y0; y < y1; y++) {
        const float *line = rgb + (size_t)y * row;
        for (int x = x0; x < x1; x++)
            for (int c = 0; c < 3; c++) sum[c] += line[3 * x + c];
    }
    float mean[3];
    for (int c = 0; c < 3; c++) mean[c] = (float)(sum[c] / ((double)(y1 - y0) * (x1 - x0)));
    for (int y = y0; y < y1; y++) {
        float *line = rgb + (size_t)y * row;
        for (int x = x0; x < x1; x++)
            for (int c = 0; c < 3; c++) line[3 * x + c] = mean[c];
    }
}

void parn_effect_pixelate(float *rgb, int w, int h, int block)
{
    if (block < 1) return;
#pragma omp parallel for if ((long)w * h > PARALLEL_PIXELS)
    for (int y0 = 0; y0 < h; y0 += block)
        for (int x0 = 0; x0 < w; x0 += block)
            flatten_tile(rgb, 3 * (size_t)w, x0, x0 + block < w ? x0 + block : w, y0,
                         y0 + block < h ? y0 + block : h);
}

void parn_effect_fill(float *rgb, int w, int h, const float color[3])
{
    size_t n = (size_t)w * (size_t)h;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++) rgb[3 * i + (size_t)c] = color[c];
}
