/* SPDX-License-Identifier: MIT */
/* Frame-in/frame-out anonymization: detect (or take the caller's boxes), track, cover each face
 * by blur, pixelation, a solid mask or the generator, feathered; fail closed on any error. */
#include "pipeline.h"

#include "blend.h"
#include "core/options.h"
#include "effects.h"
#include "gan.h"
#include "models/model.h"
#include "region.h"
#include "tracker.h"

#include <math.h>
#include <string.h>

#define MAX_DETECTIONS 1000  /* PARN_OPT_MAX_FACES's upper bound */
#define BLUR_DIVISOR 6.0f    /* blur radius (about sigma) = face side / this: no feature survives */
#define PIXEL_DIVISOR 8.0f   /* pixelation blocks across a face */

typedef struct parn_anonymizer parn_anonymizer;

typedef enum anon_mode { MODE_GAN, MODE_BLUR, MODE_PIXELATE, MODE_MASK } anon_mode;

/* The anonymization settings of a session, read on every frame (parn_session_configure may
 * change them between frames). */
typedef struct settings {
    anon_mode mode;
    bool ellipse;
    float margin;
    int memory, every;
} settings;

struct parn_anonymizer {
    parn_tracker tracker;
    int64_t frames;                 /* frames seen by the detecting call: its cadence */
    parn_gan *gan;                  /* the generator's graph, built on first use */
    float detections[5 * MAX_DETECTIONS];
    parn_face_box *boxes;           /* this frame's faces as the tracker takes them */
    int boxes_cap;
    float *rgb, *alpha, *scratch;   /* one face's patch: colours, coverage, blur scratch */
    size_t patch_cap;               /* pixels each holds */
};

void parn__anonymizer_destroy(struct parn_anonymizer *a)
{
    if (!a) return;
    parn_tracker_free(&a->tracker);
    parn_gan_destroy(a->gan);
    parn__free(a->boxes);
    parn__free(a->rgb);
    parn__free(a->alpha);
    parn__free(a->scratch);
    parn__free(a);
}

/* ---- arguments and settings ------------------------------------------------------------------ */

/* What must hold before out may be touched (n_boxes < 0: the detector finds the faces). */
static parn_status check_arguments(const parn_frame_t *in, const parn_frame_t *out,
                                   const float *boxes, int n_boxes, int max_faces)
{
    PARN_RETURN_IF(!in || !out, PARN_E_INVALID_ARG, "anonymize: in or out is NULL");
    PARN_RETURN_IF(parn_frame_format(in) != parn_frame_format(out) ||
                       parn_frame_width(in) != parn_frame_width(out) ||
                       parn_frame_height(in) != parn_frame_height(out),
                   PARN_E_INVALID_ARG,
                   "anonymize: out (format %d, %dx%d) does not match in (format %d, %dx%d)",
                   (int)parn_frame_format(out), parn_frame_width(out), parn_frame_height(out),
                   (int)parn_frame_format(in), parn_frame_width(in), parn_frame_height(in));
    PARN_RETURN_IF(max_faces < 0, PARN_E_INVALID_ARG, "anonymize: max_faces %d is negative",
                   max_faces);
    PARN_RETURN_IF(n_boxes > 0 && !boxes, PARN_E_INVALID_ARG,
                   "anonymize: %d boxes but boxes is NULL", n_boxes);
    for (int i = 0; i < n_boxes; i++) {
        const float *b = boxes + 4 * (size_t)i;
        PARN_RETURN_IF(!isfinite(b[0]) || !isfinite(b[1]) || !isfinite(b[2]) || !isfinite(b[3]) ||
                           b[2] <= 0 || b[3] <= 0,
                       PARN_E_INVALID_ARG,
                       "anonymize: box %d (%g, %g, %g x %g) is not finite with a positive size", i,
                       b[0], b[1], b[2], b[3]);
    }
    return PARN_OK;
}

static parn_status read_settings(const parn_session_t *s, settings *set)
{
    const char *mode = parn__opt_string(s->opts, PARN_OPT_ANON_MODE);
    const char *shape = parn__opt_string(s->opts, PARN_OPT_FACE_SHAPE);
    bool has_generator = s->model && s->model->has[PARN_NET_GENERATOR];
    if (strcmp(mode, "auto") == 0)
        set->mode = has_generator ? MODE_GAN : MODE_BLUR;
    else if (strcmp(mode, "gan") == 0)
        set->mode = MODE_GAN;
    else if (strcmp(mode, "blur") == 0)
        set->mode = MODE_BLUR;
    else if (strcmp(mode, "pixelate") == 0)
        set->mode = MODE_PIXELATE;
    else if (strcmp(mode, "mask") == 0)
        set->mode = MODE_MASK;
    else
        return parn__fail(PARN_E_INVALID_ARG,
                          "anonymize: mode '%s' is not auto, gan, blur, pixelate or mask", mode);
    PARN_RETURN_IF(set->mode == MODE_GAN && !has_generator, PARN_E_NOT_FOUND,
                   "anonymize: mode gan needs a session model with a generator");
    PARN_RETURN_IF(strcmp(shape, "ellipse") != 0 && strcmp(shape, "box") != 0, PARN_E_INVALID_ARG,
                   "anonymize: face shape '%s' is not ellipse or box", shape);
    set->ellipse = strcmp(shape, "ellipse") == 0;
    set->margin = (float)parn__opt_float(s->opts, PARN_OPT_FACE_MARGIN);
    set->memory = (int)parn__opt_int(s->opts, PARN_OPT_TRACK_MEMORY);
    set->every = (int)parn__opt_int(s->opts, PARN_OPT_DETECT_EVERY);
    return PARN_OK;
}

/* ---- buffers ------------------------------------------------------------------------------- */

static parn_status state_of(parn_session_t *s, parn_anonymizer **out)
{
    if (!s->anonymizer) {
        s->anonymizer = parn__calloc(1, sizeof *s->anonymizer);
        PARN_RETURN_IF(!s->anonymizer, PARN_E_NOMEM, "anonymize: out of memory");
        parn_tracker_init(&s->anonymizer->tracker);
    }
    *out = s->anonymizer;
    return PARN_OK;
}

static parn_status reserve_boxes(parn_anonymizer *a, int n)
{
    if (n <= a->boxes_cap) return PARN_OK;
    parn_face_box *p = parn__realloc(a->boxes, (size_t)n * sizeof *p);
    PARN_RETURN_IF(!p, PARN_E_NOMEM, "anonymize: out of memory for %d faces", n);
    a->boxes = p;
    a->boxes_cap = n;
    return PARN_OK;
}

static parn_status reserve_patch(parn_anonymizer *a, size_t pixels)
{
    if (pixels <= a->patch_cap) return PARN_OK;
    parn__free(a->rgb);
    parn__free(a->alpha);
    parn__free(a->scratch);
    a->rgb = parn__aligned_alloc(3 * pixels * sizeof(float));
    a->alpha = parn__aligned_alloc(pixels * sizeof(float));
    a->scratch = parn__aligned_alloc(3 * pixels * sizeof(float));
    a->patch_cap = a->rgb && a->alpha && a->scratch ? pixels : 0;
    PARN_RETURN_IF(!a->patch_cap, PARN_E_NOMEM, "anonymize: out of memory for a %zu-pixel face",
                   pixels);
    return PARN_OK;
}

/* ---- faces ------------------------------------------------------------------------------- */

/* The caller's boxes that meet the frame, without scores. They stay unclipped: a face cut by the
 * frame's edge keeps its full margin on the inside. */
static parn_status caller_faces(parn_anonymizer *a, const parn_frame_t *f, const float *boxes,
                                int n_boxes, int *n)
{
    PARN_TRY(reserve_boxes(a, n_boxes));
    float w = (float)parn_frame_width(f), h = (float)parn_frame_height(f);
    *n = 0;
    for (int i = 0; i < n_boxes; i++) {
        const float *b = boxes + 4 * (size_t)i;
        if (b[0] < w && b[1] < h && b[0] + b[2] > 0 && b[1] + b[3] > 0)
            a->boxes[(*n)++] = (parn_face_box){b[0], b[1], b[2], b[3], 0.0f};
    }
    return PARN_OK;
}

/* This frame's tracks: from the caller's boxes (n_boxes >= 0), else from the detector on
 * every `every`-th frame; frames it skips carry the tracks without ageing them. */
static parn_status update_tracks(parn_session_t *s, parn_anonymizer *a, const parn_frame_t *in,
                                 const float *boxes, int n_boxes, const settings *set)
{
    int n = 0;
    if (n_boxes >= 0) {
        PARN_TRY(caller_faces(a, in, boxes, n_boxes, &n));
        return parn_tracker_update(&a->tracker, a->boxes, n, set->memory);
    }
    if (a->frames++ % set->every != 0) {
        parn_tracker_carry(&a->tracker);
        return PARN_OK;
    }
    PARN_TRY(parn__session_detect(s, in, a->detections, MAX_DETECTIONS, &n));
    PARN_TRY(reserve_boxes(a, n));
    for (int i = 0; i < n; i++) {
        const float *d = a->detections + 5 * i;
        a->boxes[i] = (parn_face_box){d[0], d[1], d[2], d[3], d[4]};
    }
    return parn_tracker_update(&a->tracker, a->boxes, n, set->memory);
}

/* Replaces the patch (w x h at x, y) by the mode's rendering of the face. */
static parn_status render(parn_session_t *s, parn_anonymizer *a, parn_track *t, const settings *set,
                          const parn_region *r, int x, int y, int w, int h)
{
    /* the face's side, at most the patch's (a caller's box may be far larger than the frame) */
    float face = fminf(fminf(t->box.w, t->box.h), (float)(w > h ? w : h));
    switch (set->mode) {
    case MODE_BLUR:
        parn_effect_blur(a->rgb, w, h, (int)fmaxf(2.0f, roundf(face / BLUR_DIVISOR)), a->scratch);
        return PARN_OK;
    case MODE_PIXELATE:
        parn_effect_pixelate(a->rgb, w, h, (int)fmaxf(2.0f, ceilf(face / PIXEL_DIVISOR)));
        return PARN_OK;
    case MODE_MASK:
        parn_effect_fill(a->rgb, w, h, (const float[3]){0, 0, 0});
        return PARN_OK;
    case MODE_GAN:
        if (!a->gan) PARN_TRY(parn_gan_create(s->model, s->backend, s->ctx, &a->gan));
        return parn_gan_run(a->gan, a->rgb, x, y, w, h, r, &t->prev, &s->rng);
    }
    return parn__fail(PARN_E_INTERNAL, "anonymize: unknown mode %d", (int)set->mode);
}

/* Covers one tracked face in out: read its region's bounding patch, render, blend back. */
static parn_status cover(parn_session_t *s, parn_anonymizer *a, parn_frame_t *out, parn_track *t,
                         const settings *set)
{
    parn_region r;
    if (!parn_region_make(&t->box, set->margin, set->ellipse, parn_frame_width(out),
                          parn_frame_height(out), &r))
        return PARN_OK; /* nothing of it in the frame */
    int x0 = r.x0, y0 = r.y0, x1 = r.x1, y1 = r.y1;
    parn_patch_align(out, &x0, &y0, &x1, &y1);
    int w = x1 - x0, h = y1 - y0;
    PARN_TRY(reserve_patch(a, (size_t)w * (size_t)h));
    parn_patch_read(out, x0, y0, w, h, a->rgb);
    parn_region_alpha(&r, x0, y0, w, h, a->alpha);
    PARN_TRY(render(s, a, t, set, &r, x0, y0, w, h));
    parn_patch_blend(out, x0, y0, w, h, a->rgb, a->alpha);
    return PARN_OK;
}

static int write_records(const parn_tracker *tr, float *faces, int max_faces)
{
    int n = faces ? (tr->n < max_faces ? tr->n : max_faces) : 0;
    for (int i = 0; i < n; i++) {
        const parn_track *t = &tr->tracks[i];
        float *f = faces + PARN_FACE_RECORD * (size_t)i;
        f[0] = t->box.x, f[1] = t->box.y, f[2] = t->box.w, f[3] = t->box.h;
        f[4] = t->detected ? t->box.score : 0.0f;
        f[5] = (float)t->id;
        f[6] = t->detected ? 1.0f : 0.0f;
    }
    return n;
}

/* ---- the pipeline ------------------------------------------------------------------------- */

static parn_status process(parn_session_t *s, const parn_frame_t *in, parn_frame_t *out,
                           const float *boxes, int n_boxes, float *faces, int max_faces,
                           int *n_faces)
{
    settings set = {0};
    parn_anonymizer *a = NULL;
    PARN_TRY(read_settings(s, &set));
    PARN_TRY(state_of(s, &a));
    if (s->backend->ctx_enter) s->backend->ctx_enter(s->ctx); /* our loops use its threads too */
    PARN_TRY(update_tracks(s, a, in, boxes, n_boxes, &set)); /* reads in before out changes */
    parn_frame_copy_pixels(in, out);
    for (int i = 0; i < a->tracker.n; i++) PARN_TRY(cover(s, a, out, &a->tracker.tracks[i], &set));
    int n = write_records(&a->tracker, faces, max_faces);
    if (n_faces) *n_faces = n;
    return PARN_OK;
}

/* n_boxes < 0: detect. Bad arguments leave out alone; any later failure blackens it. */
static parn_status anonymize(parn_session_t *s, const parn_frame_t *in, parn_frame_t *out,
                             const float *boxes, int n_boxes, float *faces, int max_faces,
                             int *n_faces)
{
    PARN_TRY(check_arguments(in, out, boxes, n_boxes, max_faces));
    if (n_faces) *n_faces = 0;
    parn_status st = process(s, in, out, boxes, n_boxes, faces, max_faces, n_faces);
    if (st != PARN_OK) {
        parn_frame_fill_black(out);
        if (n_faces) *n_faces = 0;
    }
    return st;
}

parn_status parn_anonymize_frame(parn_session_t *s, const parn_frame_t *in, parn_frame_t *out,
                                 float *faces, int max_faces, int *n_faces)
{
    PARN_RETURN_IF(!s, PARN_E_INVALID_ARG, "parn_anonymize_frame: session is NULL");
    return parn__session_status(s, anonymize(s, in, out, NULL, -1, faces, max_faces, n_faces));
}

parn_status parn_anonymize_frame_boxes(parn_session_t *s, const parn_frame_t *in, parn_frame_t *out,
                                       const float *boxes, int n_boxes, float *faces, int max_faces,
                                       int *n_faces)
{
    PARN_RETURN_IF(!s, PARN_E_INVALID_ARG, "parn_anonymize_frame_boxes: session is NULL");
    parn_status st =
        n_boxes < 0 ? parn__fail(PARN_E_INVALID_ARG, "anonymize: n_boxes %d is negative", n_boxes)
                    : anonymize(s, in, out, boxes, n_boxes, faces, max_faces, n_faces);
    return parn__session_status(s, st);
}
