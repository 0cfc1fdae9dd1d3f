/* SPDX-License-Identifier: MIT */
/* The anonymizer's pixel access in every frame format: whole-frame copy and black fill, and a
 * rectangle read as RGB then blended back under a coverage map. Packed formats are read and
 * written in place; YUV420P and NV12 convert only the rectangle (BT.601, limited range, as
 * libswscale's default), blending luma per pixel and chroma per 2x2 block. */
#ifndef PARN_BLEND_H
#define PARN_BLEND_H

#include "core/core.h"

/* Copies in's pixels to out (same format and size; nothing when they are the same memory). */
void parn_frame_copy_pixels(const parn_frame_t *in, parn_frame_t *out);

/* Fills the frame with black (RGBA: opaque). */
void parn_frame_fill_black(parn_frame_t *f);

/* Grows the rectangle [x0, x1) x [y0, y1) so that it holds whole chroma blocks (YUV: even
 * corners, clipped to the frame); other formats keep it. */
void parn_patch_align(const parn_frame_t *f, int *x0, int *y0, int *x1, int *y1);

/* The w x h rectangle at (x, y) as RGB floats in [0, 255], 3 per pixel, row-major. */
void parn_patch_read(const parn_frame_t *f, int x, int y, int w, int h, float *rgb);

/* Writes rgb back over the rectangle, mixed with the frame's pixels by alpha (w x h, [0, 1]):
 * a pixel whose alpha is 0 keeps its bytes; GRAY8 takes rgb's luma; a YUV chroma sample moves
 * by its block's mean alpha-weighted change, so it stays exact where no pixel of its block is
 * covered. */
void parn_patch_blend(parn_frame_t *f, int x, int y, int w, int h, const float *rgb,
                      const float *alpha);

#endif
