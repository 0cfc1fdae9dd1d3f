/* SPDX-License-Identifier: MIT */
/* Face crops as the anonymizer sees faces: the box grown by the margin on each side, squared,
 * resized to size x size (bilinear, pixel centres aligned, as lib/pipeline/gan.c), RGB in [0, 1];
 * pixels beyond the picture repeat its edge. Training adds a small random shift and scale and a
 * horizontal flip. */
#include "data_impl.h"

#include <math.h>
#include <string.h>

/* A square in picture pixels: centre and side. */
typedef struct square {
    float cx, cy, side;
} square;

static square square_of(const parn_dataset_t *d, const float *box, int width, int height)
{
    if (box[2] <= 0.0f || box[3] <= 0.0f) /* no face found: the centred square */
        return (square){0.5f * (float)width, 0.5f * (float)height,
                        (float)(width < height ? width : height)};
    float side = fmaxf(box[2], box[3]) * (1.0f + 2.0f * d->margin);
    return (square){box[0] + 0.5f * box[2], box[1] + 0.5f * box[3], side};
}

/* Moves and scales q by up to jitter of its side (three draws from rng). */
static square jittered(square q, float jitter, parn_rng *rng)
{
    float dx = 2.0f * parn__rng_uniform(rng) - 1.0f, dy = 2.0f * parn__rng_uniform(rng) - 1.0f;
    float ds = 2.0f * parn__rng_uniform(rng) - 1.0f;
    return (square){q.cx + dx * jitter * q.side, q.cy + dy * jitter * q.side,
                    q.side * (1.0f + ds * jitter)};
}

/* Samples q from the RGB24 frame into 3 planes of size x size floats (flip: mirrored). */
static void crop_square(const parn_frame_t *f, square q, int size, bool flip, float *out)
{
    const uint8_t *data = parn_frame_plane(f, 0);
    int stride = parn_frame_stride(f, 0), w = parn_frame_width(f), h = parn_frame_height(f);
    float step = q.side / (float)size, x0 = q.cx - 0.5f * q.side, y0 = q.cy - 0.5f * q.side;
    size_t plane = (size_t)size * (size_t)size;
    for (int j = 0; j < size; j++) {
        float sy = fminf(fmaxf(y0 + ((float)j + 0.5f) * step - 0.5f, 0.0f), (float)(h - 1));
        int ya = (int)sy, yb = ya + 1 < h ? ya + 1 : h - 1;
        float ty = sy - (float)ya;
        const uint8_t *ra = data + (size_t)ya * (size_t)stride, *rb = data + (size_t)yb * (size_t)stride;
        for (int i = 0; i < size; i++) {
            float sx = fminf(fmaxf(x0 + ((float)i + 0.5f) * step - 0.5f, 0.0f), (float)(w - 1));
            int xa = (int)sx, xb = xa + 1 < w ? xa + 1 : w - 1;
            float tx = sx - (float)xa;
            size_t k = (size_t)j * (size_t)size + (size_t)(flip ? size - 1 - i : i);
            for (int c = 0; c < 3; c++) {
                float top = ra[3 * xa + c] * (1 - tx) + ra[3 * xb + c] * tx;
                float bottom = rb[3 * xa + c] * (1 - tx) + rb[3 * xb + c] * tx;
                float v = (top * (1 - ty) + bottom * ty) / 255.0f;
                out[(size_t)c * plane + k] = v < 1.0f ? v : 1.0f; /* rounding may pass 1 */
            }
        }
    }
}

/* A picture: the same face frames times, each with its own jitter when augmenting. */
static parn_status picture_item(parn_dataset_t *d, const parn_batch_spec *s, const data_item *it,
                                parn_rng *rng, float *x)
{
    parn_frame_t *f = NULL;
    PARN_TRY(parn_image_load(it->path, &f));
    bool flip = s->augment && (parn__rng_next(rng) >> 63);
    square q = square_of(d, it->box, parn_frame_width(f), parn_frame_height(f));
    size_t floats = 3 * (size_t)s->size * (size_t)s->size;
    for (int t = 0; t < s->frames; t++) {
        square qt = s->augment ? jittered(q, d->jitter, rng) : q;
        if (!s->augment && t > 0) memcpy(x + t * floats, x, floats * sizeof *x);
        else crop_square(f, qt, s->size, flip, x + t * floats);
    }
    parn_frame_free(&f);
    return PARN_OK;
}

/* A face track: frames consecutive detections from the item's (the last repeats at the end). */
static parn_status track_item(parn_dataset_t *d, const parn_batch_spec *s, const data_item *it,
                              parn_rng *rng, float *x)
{
    const face_track *tr = &d->tracks[it->track];
    bool flip = s->augment && (parn__rng_next(rng) >> 63);
    square shift = s->augment ? jittered((square){0, 0, 1}, d->jitter, rng) : (square){0, 0, 1};
    parn_video_reader_t *r = NULL;
    PARN_TRY(parn_video_open(it->path, &r));
    size_t floats = 3 * (size_t)s->size * (size_t)s->size;
    parn_status st = PARN_OK;
    int t = 0;
    for (int64_t frame = 0; t < s->frames && st == PARN_OK; frame++) {
        parn_frame_t *f = NULL;
        st = parn_video_read(r, &f);
        if (st == PARN_EOF)
            st = parn__fail(PARN_E_FORMAT, "dataset: video '%s' ended before frame %lld", it->path,
                            (long long)frame);
        for (; st == PARN_OK && t < s->frames; t++) {
            int q = it->pos + t < tr->n ? it->pos + t : tr->n - 1;
            if (tr->frame[q] != frame) break;
            square sq = square_of(d, tr->box + 4 * (size_t)q, parn_frame_width(f), parn_frame_height(f));
            sq = (square){sq.cx + shift.cx * sq.side, sq.cy + shift.cy * sq.side, sq.side * shift.side};
            crop_square(f, sq, s->size, flip, x + t * floats);
        }
    }
    parn_video_close(r);
    return st;
}

parn_status parn__item_face(parn_dataset_t *d, data_ctx *c, const parn_batch_spec *s,
                            const data_item *it, parn_rng *rng, float *x)
{
    (void)c;
    parn_status st = it->track >= 0 ? track_item(d, s, it, rng, x) : picture_item(d, s, it, rng, x);
    if (st != PARN_OK && !strstr(parn__thread_error(), it->path))
        st = parn__fail(st, "dataset: '%s': %s", it->path, parn__thread_error());
    return st;
}
