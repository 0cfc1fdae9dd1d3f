/* SPDX-License-Identifier: MIT */
/* The face tracker of the anonymizer: greedy IoU matching of each frame's detections to the
 * tracks, stable ids, and a memory that keeps a missed face covered for a few frames. */
#ifndef PARN_TRACKER_H
#define PARN_TRACKER_H

#include "models/faces.h"

#include <stdbool.h>

/* Detections overlapping a track by at least this IoU may continue it. */
#define PARN_TRACK_IOU 0.3f

typedef struct parn_track {
    int id;              /* 1, 2, ... in order of appearance; never reused by a tracker */
    parn_face_box box;   /* the last detection (score 0 when not detected on this frame) */
    bool detected;       /* matched on the current frame */
    int missed;          /* frames with detections on which it was not matched, in a row */
    float *prev;         /* the generator's previous output for this face (owned), or NULL */
} parn_track;

typedef struct parn_tracker {
    parn_track *tracks;  /* oldest first */
    int n, cap;
    int next_id;
} parn_tracker;

void parn_tracker_init(parn_tracker *t);
void parn_tracker_free(parn_tracker *t);

/* One frame's detections (n boxes, inside the frame): each track takes the unmatched detection
 * overlapping it most (pairs by decreasing IoU, at least PARN_TRACK_IOU); other detections
 * start tracks; unmatched tracks are carried at their last box and dropped once missed on more
 * than `memory` frames in a row. */
parn_status parn_tracker_update(parn_tracker *t, const parn_face_box *boxes, int n, int memory);

/* A frame without detection (the detector skipped it): tracks are carried without ageing. */
void parn_tracker_carry(parn_tracker *t);

#endif
