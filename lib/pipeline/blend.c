/* SPDX-License-Identifier: MIT */
/* Pixel access of the anonymizer, per frame format: copy, black, rectangles read and blended. */
#include "blend.h"

#include <string.h>

#define PARALLEL_PIXELS 65536 /* rectangles below this run on one thread */

/* Packed formats: bytes per pixel and where R, G, B sit (GRAY8: all three on its one byte). */
typedef struct packed_layout {
    int bpp, r, g, b;
} packed_layout;

static bool packed(parn_pixel_format f, packed_layout *l)
{
    switch (f) {
    case PARN_PIX_RGB24: *l = (packed_layout){3, 0, 1, 2}; return true;
    case PARN_PIX_BGR24: *l = (packed_layout){3, 2, 1, 0}; return true;
    case PARN_PIX_RGBA: *l = (packed_layout){4, 0, 1, 2}; return true;
    case PARN_PIX_GRAY8: *l = (packed_layout){1, 0, 0, 0}; return true;
    default: return false;
    }
}

static bool is_yuv(const parn_frame_t *f)
{
    packed_layout l;
    return !packed(parn_frame_format(f), &l);
}

static uint8_t to_byte(float v)
{
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)(v + 0.5f);
}

static float luma(const float *rgb)
{
    return 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
}

/* ---- whole frames --------------------------------------------------------------------------- */

/* Bytes per row and rows of plane i. */
static void plane_size(const parn_frame_t *f, int i, int *row_bytes, int *rows)
{
    int w = parn_frame_width(f), h = parn_frame_height(f);
    packed_layout l;
    if (packed(parn_frame_format(f), &l)) {
        *row_bytes = l.bpp * w, *rows = h;
        return;
    }
    int cw = (w + 1) / 2;
    bool nv12 = parn_frame_format(f) == PARN_PIX_NV12;
    *row_bytes = i == 0 ? w : nv12 ? 2 * cw : cw;
    *rows = i == 0 ? h : (h + 1) / 2;
}

void parn_frame_copy_pixels(const parn_frame_t *in, parn_frame_t *out)
{
    for (int i = 0; i < parn_pixel_format_planes(parn_frame_format(in)); i++) {
        const uint8_t *src = parn_frame_plane(in, i);
        uint8_t *dst = parn_frame_plane(out, i);
        int ss = parn_frame_stride(in, i), ds = parn_frame_stride(out, i), row, rows;
        if (src == dst && ss == ds) continue;
        plane_size(in, i, &row, &rows);
        for (int y = 0; y < rows; y++)
            memmove(dst + (size_t)y * (size_t)ds, src + (size_t)y * (size_t)ss, (size_t)row);
    }
}

void parn_frame_fill_black(parn_frame_t *f)
{
    bool rgba = parn_frame_format(f) == PARN_PIX_RGBA, yuv = is_yuv(f);
    for (int i = 0; i < parn_pixel_format_planes(parn_frame_format(f)); i++) {
        uint8_t *p = parn_frame_plane(f, i);
        int stride = parn_frame_stride(f, i), row, rows;
        plane_size(f, i, &row, &rows);
        uint8_t value = !yuv ? 0 : i == 0 ? 16 : 128; /* limited-range black */
        for (int y = 0; y < rows; y++) {
            uint8_t *line = p + (size_t)y * (size_t)stride;
            memset(line, value, (size_t)row);
            for (int x = 3; rgba && x < row; x += 4) line[x] = 255;
        }
    }
}

void parn_patch_align(const parn_frame_t *f, int *x0, int *y0, int *x1, int *y1)
{
    if (!is_yuv(f)) return;
    int w = parn_frame_width(f), h = parn_frame_height(f);
    *x0 &= ~1, *y0 &= ~1;
    *x1 = *x1 + (*x1 & 1) < w ? *x1 + (*x1 & 1) : w;
    *y1 = *y1 + (*y1 & 1) < h ? *y1 + (*y1 & 1) : h;
}

/* ---- YUV 4:2:0 ------------------------------------------------------------------------------ */

/* The chroma samples of block (cx, cy). */
static void chroma_at(const parn_frame_t *f, int cx, int cy, uint8_t **u, uint8_t **v)
{
    uint8_t *p1 = parn_frame_plane(f, 1) + (size_t)cy * (size_t)parn_frame_stride(f, 1);
    if (parn_frame_format(f) == PARN_PIX_NV12) {
        *u = p1 + 2 * (size_t)cx, *v = *u + 1;
        return;
    }
    *u = p1 + cx;
    *v = parn_frame_plane(f, 2) + (size_t)cy * (size_t)parn_frame_stride(f, 2) + cx;
}

static uint8_t *luma_at(const parn_frame_t *f, int x, int y)
{
    return parn_frame_plane(f, 0) + (size_t)y * (size_t)parn_frame_stride(f, 0) + x;
}

static void yuv_to_rgb(float y, float u, float v, float *rgb)
{
    float c = 1.164f * (y - 16.0f), d = u - 128.0f, e = v - 128.0f;
    rgb[0] = c + 1.596f * e;
    rgb[1] = c - 0.392f * d - 0.813f * e;
    rgb[2] = c + 2.017f * d;
}

static void rgb_to_yuv(const float *rgb, float *yuv)
{
    yuv[0] = 16.0f + 0.257f * rgb[0] + 0.504f * rgb[1] + 0.098f * rgb[2];
    yuv[1] = 128.0f - 0.148f * rgb[0] - 0.291f * rgb[1] + 0.439f * rgb[2];
    yuv[2] = 128.0f + 0.439f * rgb[0] - 0.368f * rgb[1] - 0.071f * rgb[2];
}

static void yuv_read(const parn_frame_t *f, int x, int y, int w, int h, float *rgb)
{
#pragma omp parallel for if ((long)w * h > PARALLEL_PIXELS)
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            uint8_t *u, *v;
            chroma_at(f, (x + i) / 2, (y + j) / 2, &u, &v);
            float *o = rgb + 3 * ((size_t)j * (size_t)w + (size_t)i);
            yuv_to_rgb(*luma_at(f, x + i, y + j), *u, *v, o);
        }
}

/* Luma per pixel; then each chroma block that meets the rectangle moves by the mean, over its
 * pixels in the frame, of alpha times the change (pixels outside the rectangle count as 0). */
static void yuv_blend(parn_frame_t *f, int x, int y, int w, int h, const float *rgb,
                      const float *alpha)
{
    int fw = parn_frame_width(f), fh = parn_frame_height(f);
    int bx0 = x / 2, bx1 = (x + w - 1) / 2, by0 = y / 2, by1 = (y + h - 1) / 2;
#pragma omp parallel for if ((long)w * h > PARALLEL_PIXELS)
    for (int by = by0; by <= by1; by++)
        for (int bx = bx0; bx <= bx1; bx++) {
            uint8_t *u, *v;
            chroma_at(f, bx, by, &u, &v);
            float du = 0, dv = 0;
            int inside = 0;
            bool covered = false;
            for (int py = 2 * by; py < 2 * by + 2 && py < fh; py++)
                for (int px = 2 * bx; px < 2 * bx + 2 && px < fw; px++) {
                    inside++;
                    int i = px - x, j = py - y;
                    if (i < 0 || j < 0 || i >= w || j >= h) continue;
                    size_t k = (size_t)j * (size_t)w + (size_t)i;
                    if (alpha[k] <= 0.0f) continue;
                    float yuv[3];
                    rgb_to_yuv(rgb + 3 * k, yuv);
                    uint8_t *l = luma_at(f, px, py);
                    *l = to_byte(*l + alpha[k] * (yuv[0] - *l));
                    du += alpha[k] * (yuv[1] - *u);
                    dv += alpha[k] * (yuv[2] - *v);
                    covered = true;
                }
            if (!covered) continue;
            *u = to_byte(*u + du / (float)inside);
            *v = to_byte(*v + dv / (float)inside);
        }
}

/* ---- rectangles ----------------------------------------------------------------------------- */

void parn_patch_read(const parn_frame_t *f, int x, int y, int w, int h, float *rgb)
{
    packed_layout l;
    if (!packed(parn_frame_format(f), &l)) {
        yuv_read(f, x, y, w, h, rgb);
        return;
    }
    const uint8_t *base = parn_frame_plane(f, 0);
    int stride = parn_frame_stride(f, 0);
#pragma omp parallel for if ((long)w * h > PARALLEL_PIXELS)
    for (int j = 0; j < h; j++) {
        const uint8_t *p = base + (size_t)(y + j) * (size_t)stride + (size_t)x * (size_t)l.bpp;
        float *o = rgb + 3 * (size_t)j * (size_t)w;
        for (int i = 0; i < w; i++, p += l.bpp, o += 3) o[0] = p[l.r], o[1] = p[l.g], o[2] = p[l.b];
    }
}

void parn_patch_blend(parn_frame_t *f, int x, int y, int w, int h, const float *rgb,
                      const float *alpha)
{
    packed_layout l;
    if (!packed(parn_frame_format(f), &l)) {
        yuv_blend(f, x, y, w, h, rgb, alpha);
        return;
    }
    uint8_t *base = parn_frame_plane(f, 0);
    int stride = parn_frame_stride(f, 0);
    bool gray = l.bpp == 1;
#pragma omp parallel for if ((long)w * h > PARALLEL_PIXELS)
    for (int j = 0; j < h; j++) {
        uint8_t *p = base + (size_t)(y + j) * (size_t)stride + (size_t)x * (size_t)l.bpp;
        const float *a = alpha + (size_t)j * (size_t)w, *s = rgb + 3 * (size_t)j * (size_t)w;
        for (int i = 0; i < w; i++, p += l.bpp, s += 3) {
            if (a[i] <= 0.0f) continue;
            if (gray) {
                p[0] = to_byte(p[0] + a[i] * (luma(s) - p[0]));
                continue;
            }
            p[l.r] = to_byte(p[l.r] + a[i] * (s[0] - p[l.r]));
            p[l.g] = to_byte(p[l.g] + a[i] * (s[1] - p[l.g]));
            p[l.b] = to_byte(p[l.b] + a[i] * (s[2] - p[l.b]));
        }
    }
}
