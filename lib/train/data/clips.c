/* SPDX-License-Identifier: MIT */
/* Action clips from video files: frames consecutive frames (a random start when augmenting, the
 * middle otherwise; short videos loop), each through the classifier's own preprocessing
 * (lib/pipeline/clip.c: 128 x 171 antialiased resize, then the crop: random position and flip
 * when augmenting, the centre otherwise). */
#include "data_impl.h"

#include <string.h>

parn_clip_geometry parn__clip_crop(const parn_batch_spec *s, parn_rng *rng, bool *flip)
{
    parn_clip_geometry g = parn_clip_geometry_for(s->size);
    *flip = false;
    if (!s->augment) return g;
    g.top = (int)(parn__rng_next(rng) % (uint64_t)(g.height - s->size + 1));
    g.left = (int)(parn__rng_next(rng) % (uint64_t)(g.width - s->size + 1));
    *flip = parn__rng_next(rng) >> 63;
    return g;
}

void parn__flip_planes(float *x, int n, int side)
{
    for (size_t row = 0; row < (size_t)n * (size_t)side; row++) {
        float *r = x + row * (size_t)side;
        for (int i = 0, j = side - 1; i < j; i++, j--) {
            float t = r[i];
            r[i] = r[j];
            r[j] = t;
        }
    }
}

/* The frame count of it's video, decoding it once (then cached in the item). */
static parn_status frame_count(parn_dataset_t *d, data_item *it, int64_t *out)
{
    pthread_mutex_lock(&d->count_lock);
    int64_t n = it->frames;
    pthread_mutex_unlock(&d->count_lock);
    if (n < 0) {
        parn_video_reader_t *r = NULL;
        PARN_TRY(parn_video_open(it->path, &r));
        parn_frame_t *f = NULL;
        parn_status st;
        for (n = 0; (st = parn_video_read(r, &f)) == PARN_OK;) n++;
        parn_video_close(r);
        if (st != PARN_EOF) return st;
        PARN_RETURN_IF(n == 0, PARN_E_FORMAT, "dataset: video '%s' has no frames", it->path);
        pthread_mutex_lock(&d->count_lock);
        it->frames = n; /* every worker counts the same frames: no race on the value */
        pthread_mutex_unlock(&d->count_lock);
    }
    *out = n;
    return PARN_OK;
}

/* Decodes frames 0 .. until every clip position t (video frame (start + t) mod n) is filled. */
static parn_status decode_clip(data_ctx *c, const data_item *it, const parn_batch_spec *s,
                               const parn_clip_geometry *g, int64_t n, int64_t start, float *x)
{
    size_t plane = (size_t)s->size * (size_t)s->size, stride = (size_t)s->frames * plane;
    int64_t last = n >= s->frames ? start + s->frames - 1 : n - 1;
    parn_video_reader_t *r = NULL;
    PARN_TRY(parn_video_open(it->path, &r));
    parn_status st = PARN_OK;
    for (int64_t frame = 0; frame <= last && st == PARN_OK; frame++) {
        parn_frame_t *f = NULL;
        st = parn_video_read(r, &f);
        if (st == PARN_EOF)
            st = parn__fail(PARN_E_FORMAT, "dataset: video '%s' ended at frame %lld of %lld",
                            it->path, (long long)frame, (long long)n);
        if (st != PARN_OK || frame < start % n) continue;
        int first = -1;
        for (int t = 0; t < s->frames && st == PARN_OK; t++) {
            if ((start + t) % n != frame) continue;
            if (first < 0) st = parn_clip_prep_frame_at(c->prep, f, g, x + t * plane, stride);
            else /* a looping short video: the same frame again */
                for (int k = 0; k < 3; k++)
                    memcpy(x + k * stride + t * plane, x + k * stride + first * plane,
                           plane * sizeof *x);
            if (first < 0) first = t;
        }
    }
    parn_video_close(r);
    return st;
}

parn_status parn__item_video_clip(parn_dataset_t *d, data_ctx *c, const parn_batch_spec *s,
                                  data_item *it, parn_rng *rng, float *x)
{
    int64_t n = 0;
    parn_status st = frame_count(d, it, &n);
    if (st == PARN_OK) {
        /* draws in a fixed order: the start, then the crop */
        uint64_t u = parn__rng_next(rng);
        int64_t span = n > s->frames ? n - s->frames + 1 : 1;
        int64_t start = s->augment ? (int64_t)(u % (uint64_t)span) : (span - 1) / 2;
        bool flip;
        parn_clip_geometry g = parn__clip_crop(s, rng, &flip);
        st = decode_clip(c, it, s, &g, n, start, x);
        if (st == PARN_OK && flip) parn__flip_planes(x, 3 * s->frames, s->size);
    }
    if (st != PARN_OK && !strstr(parn__thread_error(), it->path))
        st = parn__fail(st, "dataset: video '%s': %s", it->path, parn__thread_error());
    return st;
}
