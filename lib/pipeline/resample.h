/* SPDX-License-Identifier: MIT */
/* Bilinear resampling of float pictures, as the anonymizer and the joint trainer crop faces. */
#ifndef PARN_RESAMPLE_H
#define PARN_RESAMPLE_H

#include <stddef.h>

/* A picture of floats: element (x, y, channel k) at data[y * row + x * px + k * plane]. */
typedef struct parn_fview {
    float *data;
    int w, h;
    size_t row, px, plane;
} parn_fview;

/* Bilinear resize of `channels` channels with pixel centres aligned (PyTorch's
 * align_corners=False), each value multiplied by scale. */
void parn_fview_resize(const parn_fview *src, const parn_fview *dst, int channels, float scale);

#endif
