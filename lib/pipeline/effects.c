/* SPDX-License-Identifier: MIT */
/* Blur, pixelation and solid fill: constant work per pixel whatever the face's size. */
#include "effects.h"

#define PARALLEL_PIXELS 65536
#define BLUR_PASSES 3 /* three box blurs approach a Gaussian */

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* One box blur along a line of n pixels (3 channels) read `step` floats apart from src and
 * written with the same step to dst: a running sum over [i - r, i + r], edges repeated. */
static void box_line(const float *src, float *dst, int n, size_t step, int r)
{
    float inv = 1.0f / (float)(2 * r + 1);
    float sum[3] = {0, 0, 0};
    for (int k = -r; k <= r; k++)
        for (int c = 0; c < 3; c++) sum[c] += src[(size_t)clampi(k, 0, n - 1) * step + (size_t)c];
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < 3; c++) dst[(size_t)i * step + (size_t)c] = sum[c] * inv;
        const float *out = src + (size_t)clampi(i - r, 0, n - 1) * step;
        const float *in = src + (size_t)clampi(i + r + 1, 0, n - 1) * step;
        for (int c = 0; c < 3; c++) sum[c] += in[c] - out[c];
    }
}

void parn_effect_blur(float *rgb, int w, int h, int radius, float *scratch)
{
    if (radius < 1 || w < 1 || h < 1) return;
    size_t row = 3 * (size_t)w;
    for (int pass = 0; pass < BLUR_PASSES; pass++) {
#pragma omp parallel for if ((long)w * h > PARALLEL_PIXELS)
        for (int y = 0; y < h; y++)
            box_line(rgb + (size_t)y * row, scratch + (size_t)y * row, w, 3, radius);
#pragma omp parallel for if ((long)w * h > PARALLEL_PIXELS)
        for (int x = 0; x < w; x++)
            box_line(scratch + 3 * (size_t)x, rgb + 3 * (size_t)x, h, row, radius);
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
