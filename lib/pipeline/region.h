/* SPDX-License-Identifier: MIT */
/* The region covered for a face: its box grown by the margin, an ellipse or a box, clipped to
 * the frame, and its coverage with a feathered edge. */
#ifndef PARN_REGION_H
#define PARN_REGION_H

#include "models/faces.h"

#include <stdbool.h>

typedef struct parn_region {
    float cx, cy, rx, ry;  /* centre and half sides (the ellipse's semi-axes), before clipping */
    bool ellipse;
    float feather;         /* width of the soft edge inside the region, pixels */
    int x0, y0, x1, y1;    /* the pixels it may cover, clipped to the frame (x1, y1 exclusive) */
} parn_region;

/* The region of box grown by margin (a fraction of the box's size on each side) in a
 * width x height frame; false when nothing of it lies in the frame. */
bool parn_region_make(const parn_face_box *box, float margin, bool ellipse, int width, int height,
                      parn_region *r);

/* True when the frame point (x, y) lies inside the region's shape (hard edge). */
bool parn_region_contains(const parn_region *r, float x, float y);

/* The generator's mask of the w x h patch at frame position (x, y) resized to side x side: 1
 * where the crop pixel's centre lies inside the region's shape, else 0 (row-major). */
void parn_region_crop_mask(const parn_region *r, int x, int y, int w, int h, int side, float *mask);

/* Coverage in [0, 1] of each pixel of the w x h rectangle at (x, y): 0 outside the shape, rising
 * to 1 over the feather inside it; written row-major to alpha. */
void parn_region_alpha(const parn_region *r, int x, int y, int w, int h, float *alpha);

#endif
