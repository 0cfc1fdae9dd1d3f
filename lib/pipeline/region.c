/* SPDX-License-Identifier: MIT */
/* Face regions: margin, shape, clipping and the feathered coverage map. */
#include "region.h"

#include <math.h>

#define FEATHER_FRACTION 0.06f /* of the smaller half side */
#define FEATHER_MAX 8.0f

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

bool parn_region_make(const parn_face_box *box, float margin, bool ellipse, int width, int height,
                      parn_region *r)
{
    r->cx = box->x + 0.5f * box->w;
    r->cy = box->y + 0.5f * box->h;
    r->rx = 0.5f * box->w * (1.0f + 2.0f * margin);
    r->ry = 0.5f * box->h * (1.0f + 2.0f * margin);
    r->ellipse = ellipse;
    r->feather = fminf(FEATHER_MAX, fmaxf(1.0f, FEATHER_FRACTION * fminf(r->rx, r->ry)));
    /* every pixel whose centre may fall inside; floats clamp before the int conversion */
    float fx0 = floorf(r->cx - r->rx), fx1 = ceilf(r->cx + r->rx);
    float fy0 = floorf(r->cy - r->ry), fy1 = ceilf(r->cy + r->ry);
    r->x0 = clampi((int)fmaxf(fminf(fx0, (float)width), 0.0f), 0, width);
    r->x1 = clampi((int)fmaxf(fminf(fx1, (float)width), 0.0f), 0, width);
    r->y0 = clampi((int)fmaxf(fminf(fy0, (float)height), 0.0f), 0, height);
    r->y1 = clampi((int)fmaxf(fminf(fy1, (float)height), 0.0f), 0, height);
    return r->rx > 0 && r->ry > 0 && r->x1 > r->x0 && r->y1 > r->y0;
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
