/* SPDX-License-Identifier: MIT */
/* Private view of a session, for the pipelines and trainers that run on it. */
#ifndef PARN_SESSION_H
#define PARN_SESSION_H

#include "backend/backend.h"

struct parn_session {
    const parn_model_t *model;   /* borrowed */
    const parn_backend *backend;
    parn_backend_ctx *ctx;
    char device[32];
    int threads;
    parn_rng rng;
    char error[512];
};

/* Copies the calling thread's message into the session when st is a failure; returns st. */
parn_status parn__session_status(parn_session_t *s, parn_status st);

#endif
