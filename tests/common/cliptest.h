/* SPDX-License-Identifier: MIT */
/* Test clips made with FFmpeg's own API (the writer under test cannot make its own inputs):
 * MPEG-4 or MJPEG video of a moving pattern, with an AAC or PCM tone. Failures fail the test. */
#ifndef PARN_CLIPTEST_H
#define PARN_CLIPTEST_H

#include <libavcodec/avcodec.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct clip_spec {
    int width, height, fps, frames;
    bool video;
    enum AVCodecID audio; /* AV_CODEC_ID_NONE: no audio */
    bool mjpeg;           /* full-range YUV (yuvj420p) instead of MPEG-4 */
} clip_spec;

/* The picture of frame i: smooth gradients that move, and a bright square. */
void cliptest_pattern(uint8_t *rgb, int stride, int w, int h, int i);

/* Writes the clip to path (the container follows the extension). */
void cliptest_make(const char *path, const clip_spec *c);

/* A Matroska file whose video FFmpeg can store but not decode (AVS2, without libdavs2). */
void cliptest_make_undecodable(const char *path);

#endif
