/* SPDX-License-Identifier: MIT */
/* Greedy IoU tracker: detections continue the tracks they overlap most, the rest start new ones. */
#include "tracker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void parn_tracker_init(parn_tracker *t)
{
    memset(t, 0, sizeof *t);
    t->next_id = 1;
}

void parn_tracker_free(parn_tracker *t)
{
    for (int i = 0; i < t->n; i++) parn__free(t->tracks[i].prev);
    parn__free(t->tracks);
    parn_tracker_init(t);
}

static float iou(const parn_face_box *a, const parn_face_box *b)
{
    float iw = fminf(a->x + a->w, b->x + b->w) - fmaxf(a->x, b->x);
    float ih = fminf(a->y + a->h, b->y + b->h) - fmaxf(a->y, b->y);
    if (iw <= 0 || ih <= 0) return 0.0f;
    float inter = iw * ih;
    return inter / (a->w * a->h + b->w * b->h - inter);
}

/* A candidate pairing of track `track` with detection `det`. */
typedef struct pair {
    float iou;
    int track, det;
} pair;

static int by_decreasing_iou(const void *a, const void *b)
{
    const pair *p = a, *q = b;
    if (p->iou != q->iou) return p->iou < q->iou ? 1 : -1;
    /* ties: older tracks and earlier detections first, so the order is deterministic */
    return p->track != q->track ? p->track - q->track : p->det - q->det;
}

static bool reserve(parn_tracker *t, int n)
{
    if (n <= t->cap) return true;
    int cap = n > 2 * t->cap ? n : 2 * t->cap;
    parn_track *p = parn__realloc(t->tracks, (size_t)cap * sizeof *p);
    if (!p) return false;
    t->tracks = p;
    t->cap = cap;
    return true;
}

/* Pairs every track with the detection it overlaps most, greedily; match[d] = track or -1. */
static parn_status match(const parn_tracker *t, const parn_face_box *boxes, int n, int *match)
{
    for (int d = 0; d < n; d++) match[d] = -1;
    if (t->n == 0 || n == 0) return PARN_OK;
    pair *pairs = parn__malloc((size_t)t->n * (size_t)n * sizeof *pairs);
    bool *taken = parn__calloc((size_t)t->n, sizeof *taken);
    parn_status st = PARN_OK;
    if (!pairs || !taken) st = parn__fail(PARN_E_NOMEM, "tracker: out of memory");
    int np = 0;
    for (int k = 0; st == PARN_OK && k < t->n; k++)
        for (int d = 0; d < n; d++) {
            float o = iou(&t->tracks[k].box, &boxes[d]);
            if (o >= PARN_TRACK_IOU) pairs[np++] = (pair){o, k, d};
        }
    if (st == PARN_OK) qsort(pairs, (size_t)np, sizeof *pairs, by_decreasing_iou);
    for (int i = 0; i < np; i++)
        if (!taken[pairs[i].track] && match[pairs[i].det] < 0) {
            taken[pairs[i].track] = true;
            match[pairs[i].det] = pairs[i].track;
        }
    parn__free(pairs);
    parn__free(taken);
    return st;
}

/* Drops the tracks missed on more than memory frames, keeping the others' order. */
static void forget(parn_tracker *t, int memory)
{
    int k = 0;
    for (int i = 0; i < t->n; i++) {
        if (t->tracks[i].missed > memory)
            parn__free(t->tracks[i].prev);
        else
            t->tracks[k++] = t->tracks[i];
    }
    t->n = k;
}

parn_status parn_tracker_update(parn_tracker *t, const parn_face_box *boxes, int n, int memory)
{
    PARN_RETURN_IF(!t || n < 0 || (n > 0 && !boxes), PARN_E_INVALID_ARG, "tracker: bad arguments");
    int *matched = parn__malloc((size_t)(n > 0 ? n : 1) * sizeof *matched);
    PARN_RETURN_IF(!matched, PARN_E_NOMEM, "tracker: out of memory");
    parn_status st = match(t, boxes, n, matched);
    int fresh = 0;
    for (int d = 0; d < n; d++) fresh += matched[d] < 0;
    if (st == PARN_OK && !reserve(t, t->n + fresh))
        st = parn__fail(PARN_E_NOMEM, "tracker: out of memory");
    if (st != PARN_OK) {
        parn__free(matched);
        return st;
    }
    for (int k = 0; k < t->n; k++) t->tracks[k].detected = false;
    for (int d = 0; d < n; d++) {
        parn_track *tr = matched[d] >= 0 ? &t->tracks[matched[d]] : &t->tracks[t->n++];
        if (matched[d] < 0) *tr = (parn_track){.id = t->next_id++};
        tr->box = boxes[d];
        tr->detected = true;
    }
    for (int k = 0; k < t->n; k++) {
        parn_track *tr = &t->tracks[k];
        if (tr->detected) {
            tr->missed = 0;
        } else {
            tr->missed++;
            tr->box.score = 0.0f;
        }
    }
    parn__free(matched);
    forget(t, memory);
    return PARN_OK;
}

void parn_tracker_carry(parn_tracker *t)
{
    for (int k = 0; k < t->n; k++) {
        t->tracks[k].detected = false;
        t->tracks[k].box.score = 0.0f;
    }
}
