/* SPDX-License-Identifier: MIT */
/* Pictures in any frame format to packed RGB24 and back, through libswscale. */
#ifndef PARN_FRAME_RGB_H
#define PARN_FRAME_RGB_H

#include "core/core.h"

/* A reusable converter (keeps the scaling context and the RGB buffer between frames). */
typedef struct parn_rgb_converter parn_rgb_converter;

parn_rgb_converter *parn_rgb_converter_create(void);
void parn_rgb_converter_destroy(parn_rgb_converter *c);

/* Converts frame to RGB24; *rgb (owned by c, valid until the next call) and *stride receive the
 * picture. RGB24 frames are returned as they are, without a copy. */
parn_status parn_frame_to_rgb(parn_rgb_converter *c, const parn_frame_t *frame,
                              const uint8_t **rgb, int *stride);

/* The AVPixelFormat of a parn_pixel_format, or -1 (AV_PIX_FMT_NONE). */
int parn_pixel_format_to_av(parn_pixel_format f);

#endif
