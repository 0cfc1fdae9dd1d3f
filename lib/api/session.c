/* SPDX-License-Identifier: MIT */
/* Sessions: device selection, thread count, and the per-session error message. */
#include "session.h"

#include "core/options.h"

#include <ctype.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

parn_status parn__session_status(parn_session_t *s, parn_status st)
{
    if (st != PARN_OK && st != PARN_AGAIN && st != PARN_EOF && s)
        snprintf(s->error, sizeof s->error, "%s", parn__thread_error());
    return st;
}

const char *parn_last_error(const parn_session_t *session)
{
    return session ? session->error : parn__thread_error();
}

/* Parses "cpu" or "cuda:N" (N defaults to 0). */
static parn_status parse_device(const char *name, bool *cuda, int *index)
{
    PARN_RETURN_IF(!name, PARN_E_INVALID_ARG, "device name is NULL");
    *index = 0;
    if (strcmp(name, "cpu") == 0 || strcmp(name, "cpu:0") == 0) {
        *cuda = false;
        return PARN_OK;
    }
    *cuda = true;
    if (strcmp(name, "cuda") == 0) return PARN_OK;
    if (strncmp(name, "cuda:", 5) == 0 && isdigit((unsigned char)name[5])) {
        char *end;
        long v = strtol(name + 5, &end, 10);
        if (*end == '\0' && v >= 0 && v < 64) {
            *index = (int)v;
            return PARN_OK;
        }
    }
    return parn__fail(PARN_E_INVALID_ARG, "device '%s' is not \"cpu\" or \"cuda:N\"", name);
}

/* Parses PARN_OPT_PRECISION. */
static parn_status parse_precision(const char *name, parn_precision *out)
{
    static const char *const names[] = {"fp32", "tf32", "fp16", "bf16"};
    for (int i = 0; name && i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (parn_precision)i;
            return PARN_OK;
        }
    return parn__fail(PARN_E_INVALID_ARG, "precision '%s' is not \"fp32\", \"tf32\", \"fp16\" or \"bf16\"",
                      name ? name : "(null)");
}

/* Gives the new context its precision: backends without the hook run fp32 only. */
static parn_status set_precision(const parn_backend *be, parn_backend_ctx *ctx, parn_precision p)
{
    if (be->ctx_set_precision) return be->ctx_set_precision(ctx, p);
    PARN_RETURN_IF(p != PARN_PRECISION_FP32, PARN_E_UNSUPPORTED,
                   "precision: the %s backend computes in fp32 only (tf32, fp16 and bf16 need a "
                   "CUDA device)", be->name);
    return PARN_OK;
}

parn_status parn_device_count(const char *kind, int *count)
{
    PARN_RETURN_IF(!kind || !count, PARN_E_INVALID_ARG, "parn_device_count: NULL argument");
    if (strcmp(kind, "cpu") == 0) {
        *count = 1;
        return PARN_OK;
    }
    PARN_RETURN_IF(strcmp(kind, "cuda") != 0, PARN_E_INVALID_ARG,
                   "unknown device kind '%s' (cpu, cuda)", kind);
    *count = parn__cuda_device_count(); /* 0 without the module, a driver or a GPU */
    return PARN_OK;
}

parn_status parn_session_create(const parn_model_t *model, const parn_options_t *opts,
                                parn_session_t **out)
{
    PARN_RETURN_IF(!out, PARN_E_INVALID_ARG, "parn_session_create: out is NULL");
    const char *device = parn__opt_string(opts, PARN_OPT_DEVICE);
    bool cuda;
    int index;
    PARN_TRY(parse_device(device, &cuda, &index));
    parn_precision precision = PARN_PRECISION_FP32;
    PARN_TRY(parse_precision(parn__opt_string(opts, PARN_OPT_PRECISION), &precision));
    const parn_backend *backend = parn_backend_cpu();
    parn_status st = cuda ? parn__backend_cuda(&backend) : PARN_OK;
    if (st != PARN_OK) return parn__fail(st, "cuda:%d: %s", index, parn__thread_error());
    parn_session_t *s = parn__calloc(1, sizeof *s);
    PARN_RETURN_IF(!s, PARN_E_NOMEM, "parn_session_create: out of memory");
    int threads = (int)parn__opt_int(opts, PARN_OPT_THREADS);
    st = backend->ctx_create(index, threads, &s->ctx);
    if (st != PARN_OK) {
        parn__free(s);
        return cuda ? parn__fail(st, "cuda:%d: %s", index, parn__thread_error()) : st;
    }
    st = set_precision(backend, s->ctx, precision);
    if (st != PARN_OK) {
        backend->ctx_destroy(s->ctx);
        parn__free(s);
        return st;
    }
    s->model = model;
    s->backend = backend;
    s->threads = threads > 0 ? threads : omp_get_num_procs();
    snprintf(s->device, sizeof s->device, "%s:%d", cuda ? "cuda" : "cpu", index);
    if (!cuda) snprintf(s->device, sizeof s->device, "cpu");
    parn__rng_seed(&s->rng, (uint64_t)parn__opt_int(opts, PARN_OPT_SEED));
    st = parn_options_create(&s->opts);
    if (st == PARN_OK) st = parn__options_merge(s->opts, opts);
    if (st == PARN_OK) st = parn__session_face_settings(s, opts, true);
    if (st != PARN_OK) {
        parn_session_destroy(s);
        return st;
    }
    *out = s;
    return PARN_OK;
}

void parn_session_destroy(parn_session_t *session)
{
    if (!session) return;
    parn__session_faces_free(session);
    parn__anonymizer_destroy(session->anonymizer);
    parn__classifier_destroy(session->classifier);
    parn_model_destroy(session->face_model);
    parn_options_destroy(session->opts);
    session->backend->ctx_destroy(session->ctx);
    parn__free(session);
}

const char *parn_session_device(const parn_session_t *session)
{
    return session ? session->device : NULL;
}

int parn_session_threads(const parn_session_t *session)
{
    return session ? session->threads : 0;
}

parn_status parn_session_configure(parn_session_t *session, const parn_options_t *opts)
{
    PARN_RETURN_IF(!session || !opts, PARN_E_INVALID_ARG, "parn_session_configure: NULL argument");
    parn_status st = PARN_OK;
    if (parn__opt_is_set(opts, PARN_OPT_DEVICE) || parn__opt_is_set(opts, PARN_OPT_THREADS) ||
        parn__opt_is_set(opts, PARN_OPT_PRECISION))
        st = parn__fail(PARN_E_INVALID_ARG, "parn_session_configure: the device, thread count and precision are fixed at creation");
    if (st == PARN_OK) st = parn__session_face_settings(session, opts, false);
    if (st == PARN_OK) st = parn__options_merge(session->opts, opts);
    return parn__session_status(session, st);
}
