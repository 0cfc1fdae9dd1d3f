/* SPDX-License-Identifier: MIT */
/* Face regions: margin, shape, clipping and the feathered coverage map. */
#include "region.h"

#include <float.h>
#include <math.h>

#define FEATHER_FRACTION 0.06f /* of the smaller half side */
#define FEATHER_MAX 8.0f

/* floor or ceil of v clamped to [0, limit] (v may be huge or infinite: a caller's box). */
static int pixel_bound(double v, int limit)
{
    return v <= 0 ? 0 : v >= limit ? limit : (int)v;
}

bool parn_region_make(const parn_face_box *box, float margin, bool ellipse, int width, int height,
                      parn_region *r)
{
    /* in double: a finite box near FLT_MAX still gives finite bounds */
    double cx = box->x + 0.5 * box->w, cy = box->y + 0.5 * box->h;
    double rx = 0.5 * box->w * (1.0 + 2.0 * margin), ry = 0.5 * box->h * (1.0 + 2.0 * margin);
    r->cx = (float)cx, r->cy = (float)cy;
    r->rx = (float)fmin(rx, FLT_MAX), r->ry = (float)fmin(ry, FLT_MAX);
    r->ellipse = ellipse;
    r->feather = fminf(FEATHER_MAX, fmaxf(1.0f, FEATHER_FRACTION * fminf(r->rx, r->ry)));
    /* every pixel whose centre may fall inside */
    r->x0 = pixel_bound(floor(cx - rx), width), r->x1 = pixel_bound(ceil(cx + rx), width);
    r->y0 = pixel_bound(floor(cy - ry), height), r->y1 = pixel_bound(ceil(cy + ry), height);
    return rx > 0 && ry > 0 && r->x1 > r->x0 && r->y1 > r->y0;
}

/* Distance from (x, y) to the shape's edge, positive inside (the ellipse's to first order, exact
 * on its axes; only the feather's few pixels near the edge need it accurate). */
static float inside_distance(const parn_region *r, float x, float y)
{
    float dx = x - r->cx, dy = y - r->cy;
    if (!r->ellipse) return fminf(r->rx - fabsf(dx), r->ry - fabsf(dy));
    float ux = dx / r->rx, uy = dy / r->ry;
    float rho = sqrtf(ux * ux + uy * uy);
    if (rho < 0.5f) return INFINITY; /* deep inside: the feather is at most a tenth of the axes */
    /* (1 - rho) / |grad rho| with grad rho = (ux / rx, uy / ry) / rho */
    float gx = ux / r->rx, gy = uy / r->ry;
    return (1.0f - rho) * rho / sqrtf(gx * gx + gy * gy);
}

bool parn_region_contains(const parn_region *r, float x, float y)
{
    return inside_distance(r, x, y) > 0.0f;
}

void parn_region_alpha(const parn_region *r, int x, int y, int w, int h, float *alpha)
{
#pragma omp parallel for if ((long)w * h > 65536)
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            float d = inside_distance(r, (float)(x + i) + 0.5f, (float)(y + j) + 0.5f);
            alpha[(size_t)j * (size_t)w + (size_t)i] =
                d <= 0.0f ? 0.0f : fminf(1.0f, d / r->feather);
        }
}

void parn_region_crop_mask(const parn_region *r, int x, int y, int w, int h, int side, float *mask)
{
    float sx = (float)w / (float)side, sy = (float)h / (float)side;
    for (int v = 0; v < side; v++)
        for (int u = 0; u < side; u++)
            mask[(size_t)v * (size_t)side + (size_t)u] =
                parn_region_contains(r, (float)x + ((float)u + 0.5f) * sx, (float)y + ((float)v + 0.5f) * sy)
                    ? 1.0f
                    : 0.0f;
}
