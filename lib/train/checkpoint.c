/* SPDX-License-Identifier: MIT */
/* Checkpoints: the model's tensors, the optimizers' buffers and the training state in one
 * safetensors file written atomically. Doubles and generator states that must come back bit
 * for bit are written as hexadecimal strings ("%a", 64-bit words): JSON numbers lose infinity
 * (a plateau schedule's first best) and 64-bit integers. */
#include "checkpoint.h"

#include "io/safetensors.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATE_KEY "parn.train"
#define STATE_VERSION 1
#define OPTIM_PREFIX PARN_TRAIN_PREFIX "optim."

/* ---- writing --------------------------------------------------------------------------------- */

/* Removes "<path>.tmp.*" files that a writer killed before its rename left behind. */
static void remove_stale_temporaries(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (slash == path) snprintf(dir, sizeof dir, "/");
    const char *base = slash ? slash + 1 : path;
    size_t len = strlen(base);
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, base, len) != 0 || strncmp(e->d_name + len, ".tmp.", 5) != 0) continue;
        char full[8192];
        if (snprintf(full, sizeof full, "%s/%s", dir, e->d_name) < (int)sizeof full) unlink(full);
    }
    closedir(d);
}

static bool add_hex_double(cJSON *o, const char *key, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%a", v);
    return cJSON_AddStringToObject(o, key, buf) != NULL;
}

static bool add_rng(cJSON *o, const char *key, const parn_rng *r)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%016" PRIx64 "%016" PRIx64, r->s[0], r->s[1]);
    return cJSON_AddStringToObject(o, key, buf) != NULL;
}

static cJSON *group_state(const parn_train_group *gr)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddNumberToObject(o, "optim_steps", (double)parn_optim_steps(gr->optim)) &&
              cJSON_AddNumberToObject(o, "buffers", parn_optim_n_buffers(gr->optim)) &&
              add_hex_double(o, "base_lr", gr->sched.base_lr) &&
              add_hex_double(o, "plateau_lr", gr->sched.plateau_lr) &&
              add_hex_double(o, "best", gr->sched.best) && cJSON_AddNumberToObject(o, "bad", gr->sched.bad);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The "parn.train" metadata string. */
static char *state_json(const parn_trainer_t *t)
{
    cJSON *root = cJSON_CreateObject(), *cfg = parn__train_config_to_json(&t->cfg);
    bool ok = root && cfg && cJSON_AddNumberToObject(root, "version", STATE_VERSION) &&
              cJSON_AddStringToObject(root, "phase", parn__phase_name(t->phase)) &&
              cJSON_AddNumberToObject(root, "step", (double)t->step) &&
              cJSON_AddNumberToObject(root, "d_updates", (double)t->d_updates);
    if (ok) cJSON_AddItemToObject(root, "config", cfg);
    else cJSON_Delete(cfg);
    cJSON *rng = ok ? cJSON_AddObjectToObject(root, "rng") : NULL;
    ok = rng && add_rng(rng, "trainer", &t->rng) && add_rng(rng, "dropout", &t->dropout_rng);
    cJSON *groups = ok ? cJSON_AddObjectToObject(root, "groups") : NULL;
    ok = groups != NULL;
    for (int k = 0; ok && k < PARN_TRAIN_NETS; k++) {
        if (!t->group[k].trained) continue;
        cJSON *g = group_state(&t->group[k]);
        ok = g && cJSON_AddItemToObject(groups, parn_net_name((parn_net_kind)k), g);
    }
    char *json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return json;
}

/* The optimizer buffers as named tensors (names and tensor structs owned by the caller). */
typedef struct optim_entries {
    int n;
    char **names;
    parn_tensor *tensors;
} optim_entries;

static void free_entries(optim_entries *e)
{
    for (int i = 0; e->names && i < e->n; i++) parn__free(e->names[i]);
    parn__free(e->names);
    parn__free(e->tensors);
}

static parn_status buffer_name(char *buf, size_t size, parn_net_kind k, int j, const char *tensor)
{
    int len = snprintf(buf, size, OPTIM_PREFIX "%s.%d.%s", parn_net_name(k), j, tensor);
    PARN_RETURN_IF(len < 0 || (size_t)len >= size, PARN_E_INVALID_ARG, "checkpoint: name too long");
    return PARN_OK;
}

static parn_status collect_buffers(const parn_trainer_t *t, optim_entries *e)
{
    int cap = 0;
    for (int k = 0; k < PARN_TRAIN_NETS; k++)
        if (t->group[k].trained) cap += t->group[k].n * parn_optim_n_buffers(t->group[k].optim);
    e->names = parn__calloc((size_t)cap + 1, sizeof *e->names);
    e->tensors = parn__calloc((size_t)cap + 1, sizeof *e->tensors);
    PARN_RETURN_IF(!e->names || !e->tensors, PARN_E_NOMEM, "checkpoint: out of memory");
    for (int k = 0; k < PARN_TRAIN_NETS; k++) {
        const parn_train_group *gr = &t->group[k];
        for (int j = 0; gr->trained && j < parn_optim_n_buffers(gr->optim); j++)
            for (int i = 0; i < gr->n; i++) {
                const parn_model_tensor *mt = &t->model->tensors[gr->index[i]];
                char name[256];
                PARN_TRY(buffer_name(name, sizeof name, (parn_net_kind)k, j, mt->name));
                e->names[e->n] = parn__strdup(name);
                PARN_RETURN_IF(!e->names[e->n], PARN_E_NOMEM, "checkpoint: out of memory");
                e->tensors[e->n] = mt->t;
                e->tensors[e->n].data = parn_optim_buffer(gr->optim, j, i);
                e->n++;
            }
    }
    return PARN_OK;
}

parn_status parn__checkpoint_write(parn_trainer_t *t, const char *path)
{
    const parn_model_t *m = t->model;
    optim_entries oe = {0};
    parn_status st = collect_buffers(t, &oe);
    cJSON *meta = st == PARN_OK ? parn_model_metadata(m) : NULL;
    char *state = meta ? state_json(t) : NULL;
    parn_st_entry *e = parn__malloc((size_t)(m->n_tensors + oe.n + 1) * sizeof *e);
    if (st == PARN_OK && (!meta || !state || !e || !cJSON_AddStringToObject(meta, STATE_KEY, state)))
        st = parn__fail(PARN_E_NOMEM, "checkpoint: out of memory");
    for (int i = 0; st == PARN_OK && i < m->n_tensors; i++)
        e[i] = (parn_st_entry){m->tensors[i].name, &m->tensors[i].t};
    for (int i = 0; st == PARN_OK && i < oe.n; i++)
        e[m->n_tensors + i] = (parn_st_entry){oe.names[i], &oe.tensors[i]};
    if (st == PARN_OK) {
        remove_stale_temporaries(path);
        st = parn_st_write(path, e, m->n_tensors + oe.n, meta);
    }
    parn__free(e);
    cJSON_free(state);
    cJSON_Delete(meta);
    free_entries(&oe);
    return st;
}

/* ---- reading --------------------------------------------------------------------------------- */

static parn_status bad(const char *path, const char *what)
{
    return parn__fail(PARN_E_FORMAT, "checkpoint '%s': %s", path, what);
}

static bool get_int(const cJSON *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble) return false;
    *out = (int64_t)v->valuedouble;
    return *out >= lo && *out <= hi;
}

static bool get_hex_double(const cJSON *o, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || !*v->valuestring) return false;
    char *end;
    *out = strtod(v->valuestring, &end);
    return *end == '\0';
}

static bool get_rng(const cJSON *o, const char *key, parn_rng *r)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || strlen(v->valuestring) != 32) return false;
    char half[17] = {0};
    for (int i = 0; i < 2; i++) {
        memcpy(half, v->valuestring + 16 * i, 16);
        char *end;
        r->s[i] = strtoull(half, &end, 16);
        if (*end) return false;
    }
    return true;
}

/* The phase and settings: the checkpoint's, then the caller's overrides. */
static parn_status read_config(const char *path, const cJSON *root, const char *overrides,
                               parn_phase *phase, parn_train_config *cfg)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "phase");
    int64_t version;
    if (!get_int(root, "version", 1, STATE_VERSION, &version)) return bad(path, "unknown state version");
    if (!cJSON_IsString(p) || parn__phase_of(p->valuestring, phase) != PARN_OK) return bad(path, "no phase");
    parn__train_config_default(cfg, *phase);
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(root, "config"));
    parn_status st = text ? parn__train_config_apply(cfg, text, false) : PARN_E_FORMAT;
    cJSON_free(text);
    if (st != PARN_OK) return bad(path, "its settings do not parse");
    return parn__train_config_apply(cfg, overrides, true);
}

/* Optimizer buffers, step counts and schedule states of every trained group. */
static parn_status restore_groups(parn_trainer_t *t, const parn_st_file *f, const cJSON *groups,
                                  const char *path)
{
    for (int k = 0; k < PARN_TRAIN_NETS; k++) {
        parn_train_group *gr = &t->group[k];
        if (!gr->trained) continue;
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(groups, parn_net_name((parn_net_kind)k));
        int64_t steps, buffers, bad_evals;
        parn_schedule *s = &gr->sched;
        if (!get_int(o, "optim_steps", 0, INT64_C(1) << 52, &steps) ||
            !get_int(o, "buffers", 0, 2, &buffers) || buffers != parn_optim_n_buffers(gr->optim) ||
            !get_hex_double(o, "base_lr", &s->base_lr) || !get_hex_double(o, "plateau_lr", &s->plateau_lr) ||
            !get_hex_double(o, "best", &s->best) || !get_int(o, "bad", 0, INT32_MAX, &bad_evals))
            return bad(path, "an optimizer or schedule state is missing or malformed");
        s->bad = (int)bad_evals;
        parn_optim_set_steps(gr->optim, steps);
        for (int j = 0; j < buffers; j++)
            for (int i = 0; i < gr->n; i++) {
                char name[256];
                parn_tensor tt;
                PARN_TRY(buffer_name(name, sizeof name, (parn_net_kind)k, j, t->model->tensors[gr->index[i]].name));
                if (parn_st_get(f, name, &tt) != PARN_OK || parn_tensor_numel(&tt) != gr->numel[i])
                    return parn__fail(PARN_E_FORMAT, "checkpoint '%s': optimizer buffer '%s' is missing or "
                                      "has the wrong size", path, name);
                memcpy(parn_optim_buffer(gr->optim, j, i), tt.data, (size_t)gr->numel[i] * sizeof(float));
            }
    }
    return PARN_OK;
}

static parn_status restore(parn_trainer_t *t, const parn_st_file *f, const cJSON *root, const char *path)
{
    const cJSON *rng = cJSON_GetObjectItemCaseSensitive(root, "rng");
    if (!get_int(root, "step", 0, INT64_C(1) << 52, &t->step) ||
        !get_int(root, "d_updates", 0, INT64_C(1) << 52, &t->d_updates) ||
        !get_rng(rng, "trainer", &t->rng) || !get_rng(rng, "dropout", &t->dropout_rng))
        return bad(path, "the step or a generator state is missing or malformed");
    return restore_groups(t, f, cJSON_GetObjectItemCaseSensitive(root, "groups"), path);
}

/* The trainer's weights: the checkpoint read as a model file, copied. */
static parn_status load_weights(const char *path, parn_model_t **out)
{
    parn_model_t *m = NULL;
    parn_status st = parn_model_load(path, &m);
    if (st == PARN_OK) st = parn__trainer_copy_model((const parn_model_t *const[]){m}, 1, out);
    parn_model_destroy(m);
    return st;
}

parn_status parn__checkpoint_read(parn_session_t *s, const char *path, const char *overrides,
                                  parn_trainer_t **out)
{
    parn_st_file *f = NULL;
    PARN_TRY(parn_st_open(path, &f));
    const char *meta = parn_st_metadata(f, STATE_KEY);
    cJSON *root = meta ? cJSON_Parse(meta) : NULL;
    parn_status st = root ? PARN_OK : bad(path, "no training state (not a checkpoint)");
    parn_phase phase = PARN_PHASE_GAN;
    parn_train_config cfg;
    parn_model_t *model = NULL;
    parn_trainer_t *t = NULL;
    if (st == PARN_OK) st = read_config(path, root, overrides, &phase, &cfg);
    if (st == PARN_OK) {
        st = load_weights(path, &model);
        if (st != PARN_OK && st != PARN_E_IO && st != PARN_E_NOMEM)
            st = parn__fail(PARN_E_FORMAT, "%s", parn__thread_error());
    }
    if (st == PARN_OK) st = parn__trainer_new(s, phase, model, &cfg, 0, &t);
    if (st == PARN_OK) st = restore(t, f, root, path);
    cJSON_Delete(root);
    parn_st_close(f);
    if (st != PARN_OK) {
        parn__trainer_free(t);
        return st;
    }
    *out = t;
    return PARN_OK;
}
