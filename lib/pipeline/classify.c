/* SPDX-License-Identifier: MIT */
/* Action classification on a session: FEM + C3D built once, a clip buffer bound to it, softmax
 * and top-k, and the streaming ring of the last clip-length preprocessed frames. */
#include "clip.h"
#include "pipeline.h"

#include "core/options.h"
#include "models/model.h"

#include <stdlib.h>
#include <string.h>

typedef struct ranked {
    float p;
    int index;
} ranked;

struct parn_classifier {
    parn_graph *g;
    int clip_node, probs_node;
    int frames, crop, classes;
    size_t frame_floats;     /* 3 x crop x crop */
    float *clip;             /* 1 x 3 x frames x crop x crop, bound to clip_node */
    float *probs;            /* classes */
    ranked *order;           /* classes, for top-k */
    parn_clip_prep *prep;
    float *ring;             /* `frames` slots of frame_floats; the oldest at pushed % frames */
    int64_t pushed;          /* frames pushed so far */
    int64_t next_due;        /* the push count at which the next streaming result comes */
};

void parn__classifier_destroy(struct parn_classifier *c)
{
    if (!c) return;
    parn_graph_destroy(c->g);
    parn__free(c->clip);
    parn__free(c->probs);
    parn__free(c->order);
    parn__free(c->ring);
    parn_clip_prep_destroy(c->prep);
    parn__free(c);
}

/* ---- the graph ------------------------------------------------------------------------------ */

/* clip -> C3D (with the FEM where the model has one and fem_after places it) -> softmax, in
 * eval mode with frozen weights; the graph's sticky status tells whether it worked. */
static void append_network(struct parn_classifier *c, parn_model_t *m)
{
    parn_net c3d = parn_net_make(c->g, m, "c3d.", false);
    parn_net fem = parn_net_make(c->g, m, "fem.", false);
    c3d.frozen = fem.frozen = true;
    bool with_fem = m->has[PARN_NET_FEM] && m->c3d.fem_after > 0;
    c->clip_node = parn_graph_input(c->g, "clip", 5,
                                    (const int64_t[]){1, 3, c->frames, c->crop, c->crop});
    int logits = parn_c3d_build(&c3d, &m->c3d, c->clip_node, with_fem ? &fem : NULL, &m->fem, NULL);
    c->probs_node = parn_softmax(c->g, logits, 1, false);
    parn_net_release(&c3d);
    parn_net_release(&fem);
}

static parn_status build(parn_session_t *s, struct parn_classifier *c)
{
    parn_model_t *m = (parn_model_t *)s->model; /* the networks only read its weights */
    c->frames = m->c3d.frames;
    c->crop = m->c3d.crop;
    c->classes = m->c3d.classes;
    c->frame_floats = 3 * (size_t)c->crop * (size_t)c->crop;
    c->next_due = c->frames;
    c->g = parn_graph_create();
    c->prep = parn_clip_prep_create();
    c->clip = parn__aligned_alloc((size_t)c->frames * c->frame_floats * sizeof(float));
    c->ring = parn__aligned_alloc((size_t)c->frames * c->frame_floats * sizeof(float));
    c->probs = parn__malloc((size_t)c->classes * sizeof(float));
    c->order = parn__malloc((size_t)c->classes * sizeof(ranked));
    PARN_RETURN_IF(!c->g || !c->prep || !c->clip || !c->ring || !c->probs || !c->order,
                   PARN_E_NOMEM, "classify: out of memory");
    append_network(c, m);
    PARN_RETURN_IF(parn_graph_status(c->g) != PARN_OK, parn_graph_status(c->g),
                   "classify: cannot build FEM + C3D: %s", parn_graph_error(c->g));
    PARN_TRY(parn_graph_keep(c->g, c->probs_node));
    PARN_TRY(parn_graph_bind(c->g, c->clip_node, c->clip));
    return parn_graph_plan(c->g, s->backend, s->ctx);
}

/* The session's classifier, made on first use; PARN_E_NOT_FOUND without a C3D. */
static parn_status classifier_of(parn_session_t *s, struct parn_classifier **out)
{
    PARN_RETURN_IF(!s->model || !s->model->has[PARN_NET_C3D], PARN_E_NOT_FOUND,
                   "classify: the session's model has no C3D network (create or load a model "
                   "with \"c3d\")");
    if (!s->classifier) {
        struct parn_classifier *c = parn__calloc(1, sizeof *c);
        PARN_RETURN_IF(!c, PARN_E_NOMEM, "classify: out of memory");
        parn_status st = build(s, c);
        if (st != PARN_OK) {
            parn__classifier_destroy(c);
            return st;
        }
        s->classifier = c;
    }
    *out = s->classifier;
    return PARN_OK;
}

/* ---- running and ranking -------------------------------------------------------------------- */

/* Most probable first; equal probabilities (and NaN, ranked last) by the lower index. */
static int by_probability(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    float px = x->p == x->p ? x->p : -1.0f, py = y->p == y->p ? y->p : -1.0f;
    if (px != py) return px > py ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Runs the graph on c->clip and writes the top_k classes and probabilities. */
static parn_status classify(parn_session_t *s, struct parn_classifier *c, int top_k, int *classes,
                            float *probs)
{
    PARN_TRY(parn_graph_run(c->g, s->backend, s->ctx));
    PARN_TRY(parn_graph_read(c->g, c->probs_node, c->probs));
    ranked *order = c->order;
    for (int i = 0; i < c->classes; i++) order[i] = (ranked){c->probs[i], i};
    qsort(order, (size_t)c->classes, sizeof *order, by_probability);
    for (int i = 0; i < top_k; i++) {
        classes[i] = order[i].index;
        probs[i] = order[i].p;
    }
    return PARN_OK;
}

/* ---- the public calls ----------------------------------------------------------------------- */

/* Checks what every call takes and gives the classifier. */
static parn_status start(parn_session_t *s, const char *fn, bool have_input, int top_k,
                         const int *classes, const float *probs, struct parn_classifier **c)
{
    PARN_RETURN_IF(!have_input || !classes || !probs, PARN_E_INVALID_ARG, "%s: NULL argument", fn);
    PARN_TRY(classifier_of(s, c));
    PARN_RETURN_IF(top_k < 1 || top_k > (*c)->classes, PARN_E_INVALID_ARG,
                   "%s: top_k %d is not in 1..%d (the model's classes)", fn, top_k, (*c)->classes);
    /* the preprocessing runs with the session's threads too */
    if (s->backend->ctx_enter) s->backend->ctx_enter(s->ctx);
    return PARN_OK;
}

static parn_status classify_clip(parn_session_t *s, const parn_frame_t *const *frames, int n_frames,
                                 int top_k, int *classes, float *probs)
{
    struct parn_classifier *c;
    PARN_TRY(start(s, "parn_classify_clip", frames != NULL, top_k, classes, probs, &c));
    PARN_RETURN_IF(n_frames != c->frames, PARN_E_SHAPE,
                   "parn_classify_clip: %d frames given, the model's clips have %d", n_frames,
                   c->frames);
    for (int t = 0; t < n_frames; t++)
        PARN_RETURN_IF(!frames[t], PARN_E_INVALID_ARG, "parn_classify_clip: frame %d is NULL", t);
    size_t area = (size_t)c->crop * (size_t)c->crop, plane = (size_t)c->frames * area;
    for (int t = 0; t < n_frames; t++) /* frame t of each channel's plane */
        PARN_TRY(parn_clip_prep_frame(c->prep, frames[t], c->crop, c->clip + (size_t)t * area,
                                      plane));
    return classify(s, c, top_k, classes, probs);
}

parn_status parn_classify_clip(parn_session_t *session, const parn_frame_t *const *frames,
                               int n_frames, int top_k, int *classes, float *probs)
{
    PARN_RETURN_IF(!session, PARN_E_INVALID_ARG, "parn_classify_clip: session is NULL");
    return parn__session_status(session,
                                classify_clip(session, frames, n_frames, top_k, classes, probs));
}

/* Lays the ring's frames, oldest first, into the clip (channel-major: 3 x frames x crop x crop). */
static void clip_from_ring(struct parn_classifier *c)
{
    size_t area = (size_t)c->crop * (size_t)c->crop;
    for (int t = 0; t < c->frames; t++) {
        const float *slot = c->ring + (size_t)((c->pushed + t) % c->frames) * c->frame_floats;
        for (int ch = 0; ch < 3; ch++)
            memcpy(c->clip + ((size_t)ch * (size_t)c->frames + (size_t)t) * area, slot + ch * area,
                   area * sizeof(float));
    }
}

static parn_status classify_push(parn_session_t *s, const parn_frame_t *frame, int top_k,
                                 int *classes, float *probs)
{
    struct parn_classifier *c;
    PARN_TRY(start(s, "parn_classify_push", frame != NULL, top_k, classes, probs, &c));
    /* the slot of the oldest frame, which this one replaces: a failure here leaves a slot
     * that the next successful push overwrites before any clip reads it */
    float *slot = c->ring + (size_t)(c->pushed % c->frames) * c->frame_floats;
    size_t area = (size_t)c->crop * (size_t)c->crop;
    PARN_TRY(parn_clip_prep_frame(c->prep, frame, c->crop, slot, area));
    c->pushed++;
    if (c->pushed < c->next_due) return PARN_AGAIN;
    clip_from_ring(c);
    PARN_TRY(classify(s, c, top_k, classes, probs)); /* on failure the next push is due */
    c->next_due = c->pushed + parn__opt_int(s->opts, PARN_OPT_CLIP_STRIDE);
    return PARN_OK;
}

parn_status parn_classify_push(parn_session_t *session, const parn_frame_t *frame, int top_k,
                               int *classes, float *probs)
{
    PARN_RETURN_IF(!session, PARN_E_INVALID_ARG, "parn_classify_push: session is NULL");
    return parn__session_status(session, classify_push(session, frame, top_k, classes, probs));
}
