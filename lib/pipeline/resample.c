/* SPDX-License-Identifier: MIT */
#include "resample.h"

#include <math.h>

void parn_fview_resize(const parn_fview *src, const parn_fview *dst, int channels, float scale)
{
    float fx = (float)src->w / (float)dst->w, fy = (float)src->h / (float)dst->h;
#pragma omp parallel for if ((long)dst->w * dst->h > 65536)
    for (int j = 0; j < dst->h; j++) {
        float sy = fmaxf(0.0f, ((float)j + 0.5f) * fy - 0.5f);
        int y0 = (int)sy, y1 = y0 + 1 < src->h ? y0 + 1 : src->h - 1;
        float ty = sy - (float)y0;
        for (int i = 0; i < dst->w; i++) {
            float sx = fmaxf(0.0f, ((float)i + 0.5f) * fx - 0.5f);
            int x0 = (int)sx, x1 = x0 + 1 < src->w ? x0 + 1 : src->w - 1;
            float tx = sx - (float)x0;
            for (int k = 0; k < channels; k++) {
                const float *s = src->data + (size_t)k * src->plane;
                float top = s[(size_t)y0 * src->row + (size_t)x0 * src->px] * (1 - tx) +
                            s[(size_t)y0 * src->row + (size_t)x1 * src->px] * tx;
                float bottom = s[(size_t)y1 * src->row + (size_t)x0 * src->px] * (1 - tx) +
                               s[(size_t)y1 * src->row + (size_t)x1 * src->px] * tx;
                dst->data[(size_t)j * dst->row + (size_t)i * dst->px + (size_t)k * dst->plane] =
                    (top * (1 - ty) + bottom * ty) * scale;
            }
        }
    }
}
