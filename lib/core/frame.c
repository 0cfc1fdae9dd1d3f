/* SPDX-License-Identifier: MIT */
/* Frame descriptors: caller-owned (wrapped) or library-owned pictures, validated once. */
#include "core.h"

#include <string.h>

#define MAX_SIDE 16384

struct parn_frame {
    parn_pixel_format format;
    int width, height;
    uint8_t *planes[3];
    int strides[3];
    void *owned; /* pixel memory the library allocated, or NULL when wrapped */
};

int parn_pixel_format_planes(parn_pixel_format format)
{
    switch (format) {
    case PARN_PIX_RGB24:
    case PARN_PIX_BGR24:
    case PARN_PIX_RGBA:
    case PARN_PIX_GRAY8: return 1;
    case PARN_PIX_NV12: return 2;
    case PARN_PIX_YUV420P: return 3;
    }
    return 0;
}

/* Bytes in one row of plane i and number of rows, for a valid format and size. */
static void plane_geometry(parn_pixel_format f, int w, int h, int i, int *row_bytes, int *rows)
{
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    *row_bytes = 0;
    *rows = i == 0 ? h : ch;
    switch (f) {
    case PARN_PIX_RGB24:
    case PARN_PIX_BGR24: *row_bytes = 3 * w; break;
    case PARN_PIX_RGBA: *row_bytes = 4 * w; break;
    case PARN_PIX_GRAY8: *row_bytes = w; break;
    case PARN_PIX_NV12: *row_bytes = i == 0 ? w : 2 * cw; break;
    case PARN_PIX_YUV420P: *row_bytes = i == 0 ? w : cw; break;
    }
}

static parn_status check_geometry(parn_pixel_format format, int width, int height)
{
    PARN_RETURN_IF(parn_pixel_format_planes(format) == 0, PARN_E_INVALID_ARG,
                   "unknown pixel format %d", (int)format);
    PARN_RETURN_IF(width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE,
                   PARN_E_INVALID_ARG, "frame size %dx%d is outside 1..%d", width, height,
                   MAX_SIDE);
    return PARN_OK;
}

parn_status parn_frame_wrap(parn_pixel_format format, int width, int height,
                            uint8_t *const planes[], const int strides[], parn_frame_t **out)
{
    PARN_RETURN_IF(!out, PARN_E_INVALID_ARG, "parn_frame_wrap: out is NULL");
    PARN_RETURN_IF(!planes || !strides, PARN_E_INVALID_ARG,
                   "parn_frame_wrap: planes or strides is NULL");
    PARN_TRY(check_geometry(format, width, height));
    int n = parn_pixel_format_planes(format);
    for (int i = 0; i < n; i++) {
        int row_bytes, rows;
        plane_geometry(format, width, height, i, &row_bytes, &rows);
        PARN_RETURN_IF(!planes[i], PARN_E_INVALID_ARG, "parn_frame_wrap: plane %d is NULL", i);
        PARN_RETURN_IF(strides[i] < row_bytes, PARN_E_INVALID_ARG,
                       "parn_frame_wrap: stride %d of plane %d is below its row size %d",
                       strides[i], i, row_bytes);
    }
    parn_frame_t *f = parn__calloc(1, sizeof *f);
    PARN_RETURN_IF(!f, PARN_E_NOMEM, "parn_frame_wrap: out of memory");
    f->format = format;
    f->width = width;
    f->height = height;
    for (int i = 0; i < n; i++) {
        f->planes[i] = planes[i];
        f->strides[i] = strides[i];
    }
    *out = f;
    return PARN_OK;
}

parn_status parn_frame_alloc(parn_pixel_format format, int width, int height, parn_frame_t **out)
{
    PARN_RETURN_IF(!out, PARN_E_INVALID_ARG, "parn_frame_alloc: out is NULL");
    PARN_TRY(check_geometry(format, width, height));
    int n = parn_pixel_format_planes(format);
    int strides[3] = {0};
    size_t offsets[3] = {0}, total = 0;
    for (int i = 0; i < n; i++) {
        int row_bytes, rows;
        plane_geometry(format, width, height, i, &row_bytes, &rows);
        strides[i] = (row_bytes + 63) / 64 * 64;
        offsets[i] = total;
        total += (size_t)strides[i] * (size_t)rows;
    }
    uint8_t *pixels = parn__aligned_alloc(total);
    parn_frame_t *f = parn__calloc(1, sizeof *f);
    if (!pixels || !f) {
        parn__free(pixels);
        parn__free(f);
        return parn__fail(PARN_E_NOMEM, "parn_frame_alloc: out of memory for %dx%d", width,
                          height);
    }
    memset(pixels, 0, total);
    f->format = format;
    f->width = width;
    f->height = height;
    f->owned = pixels;
    for (int i = 0; i < n; i++) {
        f->planes[i] = pixels + offsets[i];
        f->strides[i] = strides[i];
    }
    *out = f;
    return PARN_OK;
}

void parn_frame_free(parn_frame_t **frame)
{
    if (!frame || !*frame) return;
    parn__free((*frame)->owned);
    parn__free(*frame);
    *frame = NULL;
}

int parn_frame_width(const parn_frame_t *frame)
{
    return frame ? frame->width : 0;
}

int parn_frame_height(const parn_frame_t *frame)
{
    return frame ? frame->height : 0;
}

parn_pixel_format parn_frame_format(const parn_frame_t *frame)
{
    return frame ? frame->format : (parn_pixel_format)0;
}

uint8_t *parn_frame_plane(const parn_frame_t *frame, int i)
{
    if (!frame || i < 0 || i >= parn_pixel_format_planes(frame->format)) return NULL;
    return frame->planes[i];
}

int parn_frame_stride(const parn_frame_t *frame, int i)
{
    if (!frame || i < 0 || i >= parn_pixel_format_planes(frame->format)) return 0;
    return frame->strides[i];
}
