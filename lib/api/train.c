/* SPDX-License-Identifier: MIT */
/* The public trainer calls (include/parn.h "Training"): argument checks, the model a trainer
 * starts from, the step with its timing and log record, evaluation, checkpoints, export. */
#include "session.h"

#include "core/options.h"
#include "train/checkpoint.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The networks a phase trains. */
static void needed(parn_phase phase, bool *need)
{
    need[PARN_NET_GENERATOR] = need[PARN_NET_DISCRIMINATOR] = phase != PARN_PHASE_CLASSIFIER;
    need[PARN_NET_FEM] = need[PARN_NET_C3D] = phase != PARN_PHASE_GAN;
}

/* init's networks, plus the ones the phase needs that init lacks, made fresh from opts. */
static parn_status starting_model(const parn_model_t *init, const parn_options_t *opts,
                                  parn_phase phase, parn_model_t **out)
{
    bool need[PARN_TRAIN_NETS];
    needed(phase, need);
    char list[64] = "";
    for (int k = 0; k < PARN_TRAIN_NETS; k++)
        if (need[k] && !(init && init->has[k]))
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", *list ? "," : "",
                     parn_net_name((parn_net_kind)k));
    parn_model_t *fresh = NULL;
    if (*list) {
        parn_options_t *o = NULL;
        parn_status st = parn_options_create(&o);
        if (st == PARN_OK) st = parn__options_merge(o, opts);
        if (st == PARN_OK) st = parn_options_set_string(o, PARN_OPT_NETWORKS, list);
        if (st == PARN_OK) st = parn_model_create(o, &fresh);
        parn_options_destroy(o);
        PARN_TRY(st);
    }
    parn_status st = parn__trainer_copy_model((const parn_model_t *const[]){init, fresh}, 2, out);
    parn_model_destroy(fresh);
    return st;
}

static parn_status create(parn_session_t *s, const char *phase_name, const parn_model_t *init,
                          const parn_options_t *opts, parn_trainer_t **out)
{
    parn_phase phase;
    PARN_TRY(parn__phase_of(phase_name, &phase));
    parn_train_config cfg;
    parn__train_config_default(&cfg, phase);
    PARN_TRY(parn__train_config_apply(&cfg, parn__opt_string(opts, PARN_OPT_TRAIN_CONFIG), false));
    parn_model_t *model = NULL;
    PARN_TRY(starting_model(init, opts, phase, &model));
    return parn__trainer_new(s, phase, model, &cfg, (uint64_t)parn__opt_int(opts, PARN_OPT_SEED), out);
}

/* fp16/bf16 sessions run only forward passes in half (no backward kernels, no loss scaling). */
static parn_status trainable(const parn_session_t *s, const char *what)
{
    const char *precision = parn__opt_string(s->opts, PARN_OPT_PRECISION);
    PARN_RETURN_IF(strcmp(precision, "fp16") == 0 || strcmp(precision, "bf16") == 0,
                   PARN_E_UNSUPPORTED, "%s: a session of precision %s is for inference; train in "
                   "fp32 or tf32", what, precision);
    return PARN_OK;
}

parn_status parn_trainer_create(parn_session_t *session, const char *phase, const parn_model_t *init,
                                const parn_options_t *opts, parn_trainer_t **out)
{
    PARN_RETURN_IF(!session, PARN_E_INVALID_ARG, "parn_trainer_create: session is NULL");
    parn_status st = !phase || !out ? parn__fail(PARN_E_INVALID_ARG, "parn_trainer_create: NULL argument")
                                    : trainable(session, "parn_trainer_create");
    if (st == PARN_OK) st = create(session, phase, init, opts, out);
    return parn__session_status(session, st);
}

parn_status parn_trainer_set_data(parn_trainer_t *t, parn_dataset_t *dataset)
{
    PARN_RETURN_IF(!t, PARN_E_INVALID_ARG, "parn_trainer_set_data: trainer is NULL");
    bool faces = dataset && parn__dataset_is_faces(dataset);
    parn_status st = PARN_OK;
    if (!dataset)
        st = parn__fail(PARN_E_INVALID_ARG, "parn_trainer_set_data: dataset is NULL");
    else if (faces && t->phase == PARN_PHASE_CLASSIFIER)
        st = parn__fail(PARN_E_INVALID_ARG, "trainer: the classifier phase trains on action clips, "
                        "not on a '%s' dataset", parn_dataset_kind(dataset));
    else if (!faces && t->phase == PARN_PHASE_GAN)
        st = parn__fail(PARN_E_INVALID_ARG, "trainer: the gan phase trains on faces, not on a '%s' "
                        "dataset", parn_dataset_kind(dataset));
    else if (faces) t->faces = dataset;
    else t->clips = dataset;
    return parn__trainer_status(t, st);
}

static parn_status check_data(const parn_trainer_t *t)
{
    PARN_RETURN_IF(t->phase != PARN_PHASE_CLASSIFIER && !t->faces, PARN_E_STATE,
                   "trainer: the %s phase has no face dataset (parn_trainer_set_data)",
                   parn__phase_name(t->phase));
    PARN_RETURN_IF(t->phase != PARN_PHASE_GAN && !t->clips, PARN_E_STATE,
                   "trainer: the %s phase has no action dataset (parn_trainer_set_data)",
                   parn__phase_name(t->phase));
    return PARN_OK;
}

static parn_status step(parn_trainer_t *t)
{
    PARN_TRY(check_data(t));
    double start = now_seconds();
    PARN_TRY(parn__record_begin(t));
    unsigned groups = 0;
    int64_t b = t->step; /* the data stream's position: a resumed run continues it */
    switch (t->phase) {
    case PARN_PHASE_GAN: PARN_TRY(parn__gan_step(t, b, &groups)); break;
    case PARN_PHASE_CLASSIFIER: PARN_TRY(parn__cls_step(t, b, 1.0f, false, &groups)); break;
    case PARN_PHASE_JOINT: PARN_TRY(parn__joint_step(t, b, &groups)); break;
    }
    PARN_TRY(parn__trainer_update(t, groups));
    t->step++;
    parn__record_number(t, NULL, "seconds", now_seconds() - start);
    char *text = cJSON_PrintUnformatted(t->record);
    PARN_RETURN_IF(!text, PARN_E_NOMEM, "trainer: out of memory for the log");
    parn__free(t->log);
    t->log = parn__strdup(text);
    cJSON_free(text);
    PARN_RETURN_IF(!t->log, PARN_E_NOMEM, "trainer: out of memory for the log");
    if (t->cfg.checkpoint_every > 0 && *t->cfg.checkpoint_path && t->step % t->cfg.checkpoint_every == 0)
        PARN_TRY(parn__checkpoint_write(t, t->cfg.checkpoint_path));
    return PARN_OK;
}

parn_status parn_trainer_step(parn_trainer_t *t)
{
    PARN_RETURN_IF(!t, PARN_E_INVALID_ARG, "parn_trainer_step: trainer is NULL");
    return parn__trainer_status(t, step(t));
}

int64_t parn_trainer_step_count(const parn_trainer_t *t)
{
    return t ? t->step : -1;
}

const char *parn_trainer_log(const parn_trainer_t *t)
{
    return t ? t->log : NULL;
}

static parn_status evaluate(parn_trainer_t *t, parn_dataset_t *d, int64_t max_items, const char **json)
{
    bool faces = parn__dataset_is_faces(d);
    PARN_RETURN_IF(faces && t->phase == PARN_PHASE_CLASSIFIER, PARN_E_INVALID_ARG,
                   "trainer: the classifier phase evaluates on action clips, not faces");
    PARN_RETURN_IF(!faces && t->phase == PARN_PHASE_GAN, PARN_E_INVALID_ARG,
                   "trainer: the gan phase evaluates on faces, not action clips");
    cJSON *out = cJSON_CreateObject();
    PARN_RETURN_IF(!out, PARN_E_NOMEM, "trainer: out of memory");
    parn_status st = faces ? parn__gan_evaluate(t, d, max_items, out) : parn__cls_evaluate(t, d, max_items, out);
    char *text = st == PARN_OK ? cJSON_PrintUnformatted(out) : NULL;
    cJSON_Delete(out);
    if (st != PARN_OK) return st;
    PARN_RETURN_IF(!text, PARN_E_NOMEM, "trainer: out of memory");
    parn__free(t->eval);
    t->eval = parn__strdup(text);
    cJSON_free(text);
    PARN_RETURN_IF(!t->eval, PARN_E_NOMEM, "trainer: out of memory");
    *json = t->eval;
    return PARN_OK;
}

parn_status parn_trainer_evaluate(parn_trainer_t *t, parn_dataset_t *dataset, int64_t max_items,
                                  const char **json)
{
    PARN_RETURN_IF(!t, PARN_E_INVALID_ARG, "parn_trainer_evaluate: trainer is NULL");
    parn_status st = !dataset || !json ? parn__fail(PARN_E_INVALID_ARG, "parn_trainer_evaluate: NULL argument")
                                       : evaluate(t, dataset, max_items, json);
    return parn__trainer_status(t, st);
}

parn_status parn_trainer_checkpoint(parn_trainer_t *t, const char *path)
{
    PARN_RETURN_IF(!t, PARN_E_INVALID_ARG, "parn_trainer_checkpoint: trainer is NULL");
    parn_status st = !path || !*path ? parn__fail(PARN_E_INVALID_ARG, "parn_trainer_checkpoint: no path")
                                     : parn__checkpoint_write(t, path);
    return parn__trainer_status(t, st);
}

parn_status parn_trainer_resume(parn_session_t *session, const char *path, const parn_options_t *opts,
                                parn_trainer_t **out)
{
    PARN_RETURN_IF(!session, PARN_E_INVALID_ARG, "parn_trainer_resume: session is NULL");
    if (!path || !out)
        return parn__session_status(session, parn__fail(PARN_E_INVALID_ARG, "parn_trainer_resume: NULL argument"));
    const char *overrides = opts && parn__opt_is_set(opts, PARN_OPT_TRAIN_CONFIG)
                                ? parn__opt_string(opts, PARN_OPT_TRAIN_CONFIG)
                                : NULL;
    parn_status st = trainable(session, "parn_trainer_resume");
    if (st == PARN_OK) st = parn__checkpoint_read(session, path, overrides, out);
    return parn__session_status(session, st);
}

parn_status parn_trainer_export(const parn_trainer_t *t, parn_model_t **out)
{
    PARN_RETURN_IF(!t || !out, PARN_E_INVALID_ARG, "parn_trainer_export: NULL argument");
    return parn__trainer_status((parn_trainer_t *)t,
                                parn__trainer_copy_model((const parn_model_t *const[]){t->model}, 1, out));
}

void parn_trainer_destroy(parn_trainer_t *t)
{
    parn__trainer_free(t);
}
