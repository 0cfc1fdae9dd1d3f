/* SPDX-License-Identifier: MIT */
/* The non-generative anonymization effects, on an RGB float patch (3 floats per pixel,
 * row-major), in place. */
#ifndef PARN_EFFECTS_H
#define PARN_EFFECTS_H

#include <stddef.h>

/* Gaussian-like blur: three box blurs of the given radius each way (sigma about the radius),
 * clamped at the patch's edges. scratch holds w * h * 3 floats. */
void parn_effect_blur(float *rgb, int w, int h, int radius, float *scratch);

/* Replaces each block x block tile (from the top-left corner) by its mean colour. */
void parn_effect_pixelate(float *rgb, int w, int h, int block);

/* Paints the whole patch one colour. */
void parn_effect_fill(float *rgb, int w, int h, const float color[3]);

#endif
