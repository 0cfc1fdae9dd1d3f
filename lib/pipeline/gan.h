/* SPDX-License-Identifier: MIT */
/* The generator as an anonymizer: a face patch is resized to the generator's crop, its covered
 * part masked out, regenerated (with the track's previous output and fresh noise), and resized
 * back. One graph per session, built on first use and run once per face. */
#ifndef PARN_GAN_H
#define PARN_GAN_H

#include "backend/backend.h"
#include "region.h"

typedef struct parn_gan parn_gan;

/* The runner of m's generator (m must hold one; channels 1 or 3) on a backend context. */
parn_status parn_gan_create(const parn_model_t *m, const parn_backend *be, parn_backend_ctx *ctx,
                            parn_gan **out);
void parn_gan_destroy(parn_gan *gan);

/* Regenerates the w x h patch at frame position (x, y): rgb (3 floats per pixel in [0, 255],
 * row-major) is replaced by the generator's output, whose input masks out what region r covers.
 * prev: the track's previous output (NULL on its first frame: zeros go in), replaced by this one
 * (allocated here when NULL). Noise comes from rng. */
parn_status parn_gan_run(parn_gan *gan, float *rgb, int x, int y, int w, int h,
                         const parn_region *r, float **prev, parn_rng *rng);

#endif
