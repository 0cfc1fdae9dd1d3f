/* SPDX-License-Identifier: MIT */
/* The public face calls: detection and descriptors on a session, and descriptor distance. */
#include "session.h"

#include "core/options.h"
#include "models/model.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

parn_status parn__session_face_settings(parn_session_t *s, const parn_options_t *opts, bool all)
{
    const char *kind = parn__opt_string(opts, PARN_OPT_DETECTOR);
    bool set_kind = all || parn__opt_is_set(opts, PARN_OPT_DETECTOR);
    PARN_RETURN_IF(set_kind && strcmp(kind, "tiny") != 0 && strcmp(kind, "ssd") != 0,
                   PARN_E_INVALID_ARG, "detector '%s' is not \"tiny\" or \"ssd\"", kind);
    int64_t size = parn__opt_int(opts, PARN_OPT_DETECTOR_INPUT_SIZE);
    bool set_size = all || parn__opt_is_set(opts, PARN_OPT_DETECTOR_INPUT_SIZE);
    PARN_RETURN_IF(set_size && size % 32 != 0, PARN_E_INVALID_ARG,
                   "detector input size %lld is not a multiple of 32", (long long)size);
    if (set_kind && strcmp(kind, s->detector_kind) != 0) {
        parn_face_detector_destroy(s->detector); /* another kind needs another graph */
        s->detector = NULL;
        snprintf(s->detector_kind, sizeof s->detector_kind, "%s", kind);
    }
    if (set_size) s->detect.input_size = (int)size;
    if (all || parn__opt_is_set(opts, PARN_OPT_DETECTOR_THRESHOLD))
        s->detect.score_threshold = (float)parn__opt_float(opts, PARN_OPT_DETECTOR_THRESHOLD);
    if (all || parn__opt_is_set(opts, PARN_OPT_MAX_FACES))
        s->detect.max_faces = (int)parn__opt_int(opts, PARN_OPT_MAX_FACES);
    if (all) s->detect.iou_threshold = -1.0f; /* each detector's own default */
    return PARN_OK;
}

void parn__session_faces_free(parn_session_t *s)
{
    parn_face_detector_destroy(s->detector);
    parn_face_embedder_destroy(s->embedder);
    parn_rgb_converter_destroy(s->rgb);
    s->detector = NULL;
    s->embedder = NULL;
    s->rgb = NULL;
}

parn_status parn__session_face_model(parn_session_t *s, int kind, parn_model_t **out)
{
    if (s->model && s->model->has[kind]) {
        *out = (parn_model_t *)s->model; /* face networks only read their weights */
        return PARN_OK;
    }
    if (!s->face_model) {
        const char *path = parn__opt_string(s->opts, PARN_OPT_FACE_MODEL);
        if (!path || !*path) path = parn_default_face_model();
        PARN_RETURN_IF(!path, PARN_E_NOT_FOUND,
                       "no face %s: the session's model has none and no face model was found "
                       "(run the setup step, or set PARN_OPT_FACE_MODEL / PARN_FACE_MODEL)",
                       kind == PARN_NET_DETECTOR ? "detector" : "embedder");
        PARN_TRY(parn_model_load(path, &s->face_model));
    }
    PARN_RETURN_IF(!s->face_model->has[kind], PARN_E_NOT_FOUND, "the face model has no %s",
                   kind == PARN_NET_DETECTOR ? "detector" : "embedder");
    *out = s->face_model;
    return PARN_OK;
}

/* The frame as RGB24, through the session's converter. */
static parn_status rgb_of(parn_session_t *s, const parn_frame_t *frame, parn_rgb_image *img)
{
    if (!s->rgb) s->rgb = parn_rgb_converter_create();
    PARN_RETURN_IF(!s->rgb, PARN_E_NOMEM, "faces: out of memory");
    img->width = parn_frame_width(frame);
    img->height = parn_frame_height(frame);
    return parn_frame_to_rgb(s->rgb, frame, &img->data, &img->stride);
}

parn_status parn__session_detect(parn_session_t *s, const parn_frame_t *frame, float *boxes,
                                 int max_faces, int *n_faces)
{
    PARN_RETURN_IF(!frame || !n_faces || max_faces < 0 || (!boxes && max_faces > 0), PARN_E_INVALID_ARG,
                   "parn_faces_detect: NULL argument or negative capacity");
    parn_model_t *m = NULL;
    PARN_TRY(parn__session_face_model(s, PARN_NET_DETECTOR, &m));
    if (!s->detector) PARN_TRY(parn_face_detector_create(m, s->detector_kind, s->backend, s->ctx, &s->detector));
    parn_rgb_image img;
    PARN_TRY(rgb_of(s, frame, &img));
    int cap = max_faces < s->detect.max_faces ? max_faces : s->detect.max_faces;
    parn_face_box found[1000];
    int n = 0;
    PARN_TRY(parn_face_detect(s->detector, &img, &s->detect, found, cap, &n));
    for (int i = 0; i < n; i++) {
        float *b = boxes + 5 * i;
        b[0] = found[i].x, b[1] = found[i].y, b[2] = found[i].w, b[3] = found[i].h, b[4] = found[i].score;
    }
    *n_faces = n;
    return PARN_OK;
}

parn_status parn_faces_detect(parn_session_t *session, const parn_frame_t *frame, float *boxes,
                              int max_faces, int *n_faces)
{
    PARN_RETURN_IF(!session, PARN_E_INVALID_ARG, "parn_faces_detect: session is NULL");
    return parn__session_status(session, parn__session_detect(session, frame, boxes, max_faces, n_faces));
}

static parn_status describe(parn_session_t *s, const parn_frame_t *frame, const float *box, float *out)
{
    PARN_RETURN_IF(!frame || !out, PARN_E_INVALID_ARG, "parn_face_descriptor: NULL argument");
    parn_model_t *m = NULL;
    PARN_TRY(parn__session_face_model(s, PARN_NET_EMBEDDER, &m));
    int w = parn_frame_width(frame), h = parn_frame_height(frame);
    PARN_RETURN_IF(box && !(box[2] >= 1 && box[3] >= 1 && box[0] >= 0 && box[1] >= 0 &&
                            box[0] + box[2] <= w + 0.5f && box[1] + box[3] <= h + 0.5f),
                   PARN_E_INVALID_ARG, "parn_face_descriptor: box %g,%g %gx%g is empty or outside the %dx%d frame",
                   box[0], box[1], box[2], box[3], w, h);
    if (!s->embedder) PARN_TRY(parn_face_embedder_create(m, s->backend, s->ctx, &s->embedder));
    parn_rgb_image img;
    PARN_TRY(rgb_of(s, frame, &img));
    return parn_face_describe(s->embedder, &img, box, out);
}

parn_status parn_face_descriptor(parn_session_t *session, const parn_frame_t *frame, const float *box,
                                 float *descriptor)
{
    PARN_RETURN_IF(!session, PARN_E_INVALID_ARG, "parn_face_descriptor: session is NULL");
    return parn__session_status(session, describe(session, frame, box, descriptor));
}

float parn_descriptor_distance(const float *a, const float *b)
{
    if (!a || !b) return -1.0f;
    double sum = 0;
    for (int i = 0; i < PARN_DESCRIPTOR_SIZE; i++) sum += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return (float)sqrt(sum);
}

const char *parn_default_face_model(void)
{
    const char *env = getenv("PARN_FACE_MODEL");
    if (env && *env) return env;
    static const char *const places[] = {PARN_DATADIR "/parn/faces.safetensors",
                                         PARN_BUILD_MODELS "/faces.safetensors"};
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++)
        if (access(places[i], R_OK) == 0) return places[i];
    return NULL;
}
