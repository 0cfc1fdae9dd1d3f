/* SPDX-License-Identifier: MIT */
/* Private view of a session, for the pipelines and trainers that run on it. */
#ifndef PARN_SESSION_H
#define PARN_SESSION_H

#include "backend/backend.h"
#include "io/frame_rgb.h"
#include "models/faces.h"

struct parn_session {
    const parn_model_t *model;   /* borrowed */
    const parn_backend *backend;
    parn_backend_ctx *ctx;
    char device[32];
    int threads;
    parn_rng rng;
    char error[512];
    parn_options_t *opts;        /* the settings given at creation and by parn_session_configure */
    parn_model_t *face_model;    /* loaded on first use when model has no detector/embedder */
    struct parn_anonymizer *anonymizer;  /* pipeline state, made on first use */
    struct parn_classifier *classifier;
    /* faces: settings, and what they need, made on first use */
    char detector_kind[8];
    parn_face_detect_params detect;
    parn_face_detector *detector;
    parn_face_embedder *embedder;
    parn_rgb_converter *rgb;
};

/* Applies the face settings of opts (only the keys it sets unless all is true). */
parn_status parn__session_face_settings(parn_session_t *s, const parn_options_t *opts, bool all);
/* Frees what the face calls made. */
void parn__session_faces_free(parn_session_t *s);

/* The model holding the face network (PARN_NET_DETECTOR or PARN_NET_EMBEDDER): the session's
 * own, else the face model (PARN_OPT_FACE_MODEL or the default), loaded once. */
parn_status parn__session_face_model(parn_session_t *s, int kind, parn_model_t **out);

/* parn_faces_detect without recording the message in the session: 5 floats per face (x, y,
 * width, height, score), at most max_faces and the session's PARN_OPT_MAX_FACES. */
parn_status parn__session_detect(parn_session_t *s, const parn_frame_t *frame, float *boxes,
                                 int max_faces, int *n_faces);

/* Pipeline states (lib/pipeline), freed with the session. */
void parn__anonymizer_destroy(struct parn_anonymizer *a);
void parn__classifier_destroy(struct parn_classifier *c);

/* Copies the calling thread's message into the session when st is a failure; returns st. */
parn_status parn__session_status(parn_session_t *s, parn_status st);

#endif
