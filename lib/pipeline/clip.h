/* SPDX-License-Identifier: MIT */
/* The classifier's picture preprocessing: any frame -> RGB -> resized -> centre crop -> floats. */
#ifndef PARN_CLIP_H
#define PARN_CLIP_H

#include "core/core.h"

/* Frames are resized to height x width (128 x 171 as in the paper; scaled up so that the
 * height reaches crop when crop exceeds 128), then the crop x crop square at (top, left) is
 * kept: the centre, rounded towards the top-left corner. */
typedef struct parn_clip_geometry {
    int height, width, crop, top, left;
} parn_clip_geometry;

parn_clip_geometry parn_clip_geometry_for(int crop);

/* A reusable preprocessor (keeps its RGB converter and buffers between frames). */
typedef struct parn_clip_prep parn_clip_prep;

parn_clip_prep *parn_clip_prep_create(void);
void parn_clip_prep_destroy(parn_clip_prep *p);

/* Writes one frame as 3 planes (R, G, B) of crop x crop floats, plane c at out + c *
 * plane_stride, row-major. The resize is bilinear with antialiasing (a triangle filter widened
 * by the reduction factor, pixel centres aligned: PyTorch's interpolate(mode="bilinear",
 * align_corners=False, antialias=True) and PIL's BILINEAR), computed in float on the 8-bit
 * RGB values; the result is value / 255, in [0, 1], without mean subtraction. Packed RGB
 * formats are read as they are; the others are converted to RGB24 first (libswscale). */
parn_status parn_clip_prep_frame(parn_clip_prep *p, const parn_frame_t *frame, int crop, float *out,
                                 size_t plane_stride);

/* As parn_clip_prep_frame with the crop at g's (top, left) inside its height x width resize
 * instead of the centre (the training loader's random crops); g->crop is the crop side. */
parn_status parn_clip_prep_frame_at(parn_clip_prep *p, const parn_frame_t *frame,
                                    const parn_clip_geometry *g, float *out, size_t plane_stride);

#endif
