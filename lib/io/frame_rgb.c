/* SPDX-License-Identifier: MIT */
/* Frame to RGB24 with libswscale, reusing the context and the buffer across frames. */
#include "ffmpeg.h"
#include "frame_rgb.h"

#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>

struct parn_rgb_converter {
    struct SwsContext *sws;
    uint8_t *rgb;
    size_t bytes;
};

int parn_pixel_format_to_av(parn_pixel_format f)
{
    switch (f) {
    case PARN_PIX_RGB24: return AV_PIX_FMT_RGB24;
    case PARN_PIX_BGR24: return AV_PIX_FMT_BGR24;
    case PARN_PIX_RGBA: return AV_PIX_FMT_RGBA;
    case PARN_PIX_GRAY8: return AV_PIX_FMT_GRAY8;
    case PARN_PIX_YUV420P: return AV_PIX_FMT_YUV420P;
    case PARN_PIX_NV12: return AV_PIX_FMT_NV12;
    }
    return AV_PIX_FMT_NONE;
}

parn_rgb_converter *parn_rgb_converter_create(void)
{
    parn__ffmpeg_init();
    return parn__calloc(1, sizeof(parn_rgb_converter));
}

void parn_rgb_converter_destroy(parn_rgb_converter *c)
{
    if (!c) return;
    sws_freeContext(c->sws);
    parn__free(c->rgb);
    parn__free(c);
}

parn_status parn_frame_to_rgb(parn_rgb_converter *c, const parn_frame_t *frame,
                              const uint8_t **rgb, int *stride)
{
    PARN_RETURN_IF(!c || !frame || !rgb || !stride, PARN_E_INVALID_ARG, "frame to RGB: NULL argument");
    int w = parn_frame_width(frame), h = parn_frame_height(frame);
    parn_pixel_format f = parn_frame_format(frame);
    if (f == PARN_PIX_RGB24) {
        *rgb = parn_frame_plane(frame, 0);
        *stride = parn_frame_stride(frame, 0);
        return PARN_OK;
    }
    int row = (3 * w + 63) / 64 * 64;
    size_t bytes = (size_t)row * (size_t)h;
    if (c->bytes < bytes) {
        uint8_t *p = parn__aligned_alloc(bytes);
        PARN_RETURN_IF(!p, PARN_E_NOMEM, "frame to RGB: out of memory for %dx%d", w, h);
        parn__free(c->rgb);
        c->rgb = p;
        c->bytes = bytes;
    }
    c->sws = sws_getCachedContext(c->sws, w, h, parn_pixel_format_to_av(f), w, h, AV_PIX_FMT_RGB24,
                                  SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
    PARN_RETURN_IF(!c->sws, PARN_E_BACKEND, "frame to RGB: libswscale cannot convert this format");
    const uint8_t *src[4] = {0};
    int src_stride[4] = {0};
    for (int i = 0; i < parn_pixel_format_planes(f); i++) {
        src[i] = parn_frame_plane(frame, i);
        src_stride[i] = parn_frame_stride(frame, i);
    }
    uint8_t *dst[4] = {c->rgb};
    int dst_stride[4] = {row};
    PARN_RETURN_IF(sws_scale(c->sws, src, src_stride, 0, h, dst, dst_stride) != h, PARN_E_BACKEND,
                   "frame to RGB: libswscale failed");
    *rgb = c->rgb;
    *stride = row;
    return PARN_OK;
}
