/* SPDX-License-Identifier: MIT */
/* Private: what the trainers see of a dataset (lib/train/data). */
#ifndef PARN_DATASET_H
#define PARN_DATASET_H

#include "core/core.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum parn_data_kind {
    PARN_DATA_FACES,
    PARN_DATA_FACE_VIDEOS,
    PARN_DATA_ACTIONS,
    PARN_DATA_HOLLYWOOD2,
    PARN_DATA_SYNTHETIC
} parn_data_kind;

parn_data_kind parn__dataset_kind(const parn_dataset_t *d);

/* FACES, FACE_VIDEOS: items are face crops; the others: action clips. */
bool parn__dataset_is_faces(const parn_dataset_t *d);

typedef struct parn_batch_spec {
    int n;        /* items per batch */
    int size;     /* faces: crop side (the generator's, 128); clips: crop side (112) */
    int frames;   /* clips: clip length (16); faces: consecutive crops per item (the
                     discriminator's T; pictures repeat with small independent jitter, videos
                     give a real track) */
    bool augment; /* random crops and horizontal flips (training); false: centre crop, no flip */
} parn_batch_spec;

/* Writes batch b of the dataset's stream. Deterministic: a pure function of (dataset seed,
 * spec, b) whatever the thread timing, so a resumed run that asks for b again gets the same
 * floats. Order: epoch e = b * n / size uses a permutation seeded by (seed, e).
 * faces: x = n x frames x 3 x size x size floats in [0, 1] (RGB);
 * clips: x = n x 3 x frames x size x size in [0, 1], made as lib/pipeline/clip.c does for
 * inference (resize to 128 x 171 with antialias, then the crop: random position + random flip
 * when augment, the centre otherwise). labels: n floats (class index).
 * face_boxes (may be NULL): n x frames x 4 floats (x, y, w, h of the main face in crop pixels,
 * or all -1 when unknown): synthetic clips know them; the other kinds, faces included, give -1.
 * The background loader computes batches b + 1 .. b + depth for the same spec while the caller
 * works; asking for another b or spec restarts it. */
parn_status parn__dataset_batch(parn_dataset_t *d, const parn_batch_spec *spec, int64_t b,
                                float *x, float *labels, float *face_boxes);

#endif
