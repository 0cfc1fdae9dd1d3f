/* SPDX-License-Identifier: MIT */
/* The trainers' settings (PARN_OPT_TRAIN_CONFIG): the paper's defaults (section 4.3), the JSON
 * keys with their ranges, and the round trip a checkpoint keeps. */
#include "trainer.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define MAX_STEPS 1e12
#define MAX_BATCH 4096
#define MAX_WEIGHT 1e6

static const char *const net_keys[PARN_TRAIN_NETS] = {"generator", "discriminator", "fem", "c3d"};

/* Adam with the usual GAN betas (Radford et al.): the paper gives only the rate. */
static parn_optim_config gan_adam(void)
{
    parn_optim_config c;
    parn_optim_config_default(&c, PARN_OPTIM_ADAM);
    c.lr = 1e-4;
    c.beta1 = 0.5;
    return c;
}

/* Step schedules whose horizon follows the step budget: the FEM drops 5e-4 -> 5e-5 after 80 of
 * its 110 epochs (80 pre-training + 30 fine-tuning), C3D decays tenfold at half-way. */
static void derive_schedules(parn_train_config *c)
{
    c->net[PARN_NET_FEM].schedule.step_size = c->steps * 8 / 11 > 0 ? c->steps * 8 / 11 : 1;
    c->net[PARN_NET_C3D].schedule.step_size = c->steps / 2 > 0 ? c->steps / 2 : 1;
    for (int k = 0; k < PARN_TRAIN_NETS; k++) c->net[k].schedule.total = c->steps;
}

void parn__train_config_default(parn_train_config *c, parn_phase phase)
{
    memset(c, 0, sizeof *c);
    c->steps = 10000;
    c->log_every = 10;
    c->face_batch = 4;
    c->clip_batch = phase == PARN_PHASE_JOINT ? 8 : 4;
    c->d_every = 5;
    c->augment = true;
    c->l_adv = c->l_feat = c->l_ssim = c->l_cls = 1.0f;
    c->identity_margin = 0.5f;
    c->fem_l2 = 1e-4f;
    c->joint_scale = 0.1;
    for (int k = 0; k < PARN_TRAIN_NETS; k++) parn_schedule_config_default(&c->net[k].schedule);
    c->net[PARN_NET_GENERATOR].optim = gan_adam();
    c->net[PARN_NET_DISCRIMINATOR].optim = gan_adam();
    parn_optim_config *fem = &c->net[PARN_NET_FEM].optim;
    parn_optim_config_default(fem, PARN_OPTIM_ADAM);
    fem->lr = 5e-4;
    fem->weight_decay = 5e-5;
    parn_optim_config *c3d = &c->net[PARN_NET_C3D].optim;
    parn_optim_config_default(c3d, PARN_OPTIM_SGD);
    c3d->lr = 5e-4;
    c3d->momentum = 0.9;
    c3d->weight_decay = 5e-4;
    c->net[PARN_NET_FEM].schedule.kind = PARN_SCHED_STEP;
    c->net[PARN_NET_C3D].schedule.kind = PARN_SCHED_STEP;
    derive_schedules(c);
}

/* ---- keys ----------------------------------------------------------------------------------- */

typedef enum key_type { KEY_INT, KEY_FLOAT, KEY_DOUBLE, KEY_BOOL, KEY_PATH } key_type;

typedef struct key_spec {
    const char *name;
    key_type type;
    size_t offset;
    double min, max;
    bool on_resume;        /* may change when a checkpoint is resumed */
} key_spec;

#define KEY(field, type, lo, hi, resume) {#field, type, offsetof(parn_train_config, field), lo, hi, resume}
static const key_spec keys[] = {
    KEY(steps, KEY_INT, 1, MAX_STEPS, true),
    KEY(log_every, KEY_INT, 1, MAX_STEPS, true),
    KEY(checkpoint_every, KEY_INT, 0, MAX_STEPS, true),
    KEY(checkpoint_path, KEY_PATH, 0, 0, true),
    KEY(face_batch, KEY_INT, 1, MAX_BATCH, false),
    KEY(clip_batch, KEY_INT, 1, MAX_BATCH, false),
    KEY(d_every, KEY_INT, 1, 1e6, false),
    KEY(augment, KEY_BOOL, 0, 0, false),
    KEY(l_adv, KEY_FLOAT, 0, MAX_WEIGHT, false),
    KEY(l_feat, KEY_FLOAT, 0, MAX_WEIGHT, false),
    KEY(l_ssim, KEY_FLOAT, 0, MAX_WEIGHT, false),
    KEY(l_cls, KEY_FLOAT, 0, MAX_WEIGHT, false),
    KEY(identity_margin, KEY_FLOAT, -1, 1, false),
    KEY(feature_matching, KEY_FLOAT, 0, MAX_WEIGHT, false),
    KEY(fem_l2, KEY_FLOAT, 0, MAX_WEIGHT, false),
    KEY(joint_scale, KEY_DOUBLE, 1e-6, 1e3, false),
};
#undef KEY
#define N_KEYS (int)(sizeof keys / sizeof keys[0])

static void *field(parn_train_config *c, const key_spec *k)
{
    return (char *)c + k->offset;
}

static parn_status set_key(parn_train_config *c, const key_spec *k, const cJSON *v)
{
    if (k->type == KEY_BOOL) {
        PARN_RETURN_IF(!cJSON_IsBool(v), PARN_E_INVALID_ARG, "train config: %s must be true or false",
                       k->name);
        *(bool *)field(c, k) = cJSON_IsTrue(v);
        return PARN_OK;
    }
    if (k->type == KEY_PATH) {
        PARN_RETURN_IF(!cJSON_IsString(v) || strlen(v->valuestring) >= sizeof c->checkpoint_path,
                       PARN_E_INVALID_ARG, "train config: %s must be a string of fewer than %zu bytes",
                       k->name, sizeof c->checkpoint_path);
        snprintf(c->checkpoint_path, sizeof c->checkpoint_path, "%s", v->valuestring);
        return PARN_OK;
    }
    double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    bool integral = k->type != KEY_INT || d == floor(d);
    PARN_RETURN_IF(!(d >= k->min && d <= k->max) || !integral, PARN_E_INVALID_ARG,
                   "train config: %s must be %s in [%g, %g]", k->name,
                   k->type == KEY_INT ? "an integer" : "a number", k->min, k->max);
    if (k->type == KEY_FLOAT) *(float *)field(c, k) = (float)d;
    else if (k->type == KEY_DOUBLE) *(double *)field(c, k) = d;
    else *(int64_t *)field(c, k) = (int64_t)d;
    return PARN_OK;
}

/* {"optim": {...}, "schedule": {...}} of network k. */
static parn_status set_net(parn_train_config *c, int k, const cJSON *v)
{
    PARN_RETURN_IF(!cJSON_IsObject(v), PARN_E_INVALID_ARG, "train config: %s must be an object",
                   net_keys[k]);
    for (const cJSON *it = v->child; it; it = it->next) {
        parn_status st;
        if (strcmp(it->string, "optim") == 0)
            st = parn_optim_config_from_json(it, &c->net[k].optim);
        else if (strcmp(it->string, "schedule") == 0)
            st = parn_schedule_config_from_json(it, &c->net[k].schedule);
        else
            return parn__fail(PARN_E_INVALID_ARG, "train config: unknown key '%s.%s' (optim, schedule)",
                              net_keys[k], it->string);
        if (st != PARN_OK)
            return parn__fail(st, "train config: %s.%s: %s", net_keys[k], it->string, parn__thread_error());
    }
    return PARN_OK;
}

static int find_key(const char *name)
{
    for (int i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].name, name) == 0) return i;
    return -1;
}

static int find_net(const char *name)
{
    for (int k = 0; k < PARN_TRAIN_NETS; k++)
        if (strcmp(net_keys[k], name) == 0) return k;
    return -1;
}

static parn_status apply_object(parn_train_config *c, const cJSON *root, bool resume)
{
    /* the budget first (its last occurrence, as every key's last one wins below): the
     * schedules' derived horizons follow it unless set below */
    const cJSON *steps = NULL;
    for (const cJSON *it = root->child; it; it = it->next)
        if (it->string && strcmp(it->string, "steps") == 0) steps = it;
    if (steps && !resume) {
        PARN_TRY(set_key(c, &keys[find_key("steps")], steps));
        derive_schedules(c);
    }
    for (const cJSON *it = root->child; it; it = it->next) {
        int i = find_key(it->string), k = i < 0 ? find_net(it->string) : -1;
        PARN_RETURN_IF(i < 0 && k < 0, PARN_E_INVALID_ARG,
                       "train config: unknown key '%s' (see docs/training.md)", it->string);
        PARN_RETURN_IF(resume && (i < 0 || !keys[i].on_resume), PARN_E_INVALID_ARG,
                       "train config: '%s' cannot change on resume (steps, log_every, "
                       "checkpoint_every, checkpoint_path can)", it->string);
        PARN_TRY(i >= 0 ? set_key(c, &keys[i], it) : set_net(c, k, it));
    }
    return PARN_OK;
}

parn_status parn__train_config_apply(parn_train_config *c, const char *json, bool resume)
{
    if (!json || !*json) return PARN_OK;
    cJSON *root = cJSON_Parse(json);
    PARN_RETURN_IF(!root, PARN_E_INVALID_ARG, "train config is not valid JSON");
    parn_train_config next = *c;
    parn_status st = cJSON_IsObject(root) ? apply_object(&next, root, resume)
                                          : parn__fail(PARN_E_INVALID_ARG, "train config is not a JSON object");
    cJSON_Delete(root);
    if (st == PARN_OK) *c = next;
    return st;
}

cJSON *parn__train_config_to_json(const parn_train_config *c)
{
    cJSON *j = cJSON_CreateObject();
    bool ok = j != NULL;
    for (int i = 0; ok && i < N_KEYS; i++) {
        const key_spec *k = &keys[i];
        const void *p = (const char *)c + k->offset;
        switch (k->type) {
        case KEY_BOOL: ok = cJSON_AddBoolToObject(j, k->name, *(const bool *)p) != NULL; break;
        case KEY_PATH: ok = cJSON_AddStringToObject(j, k->name, c->checkpoint_path) != NULL; break;
        case KEY_FLOAT: ok = cJSON_AddNumberToObject(j, k->name, *(const float *)p) != NULL; break;
        case KEY_DOUBLE: ok = cJSON_AddNumberToObject(j, k->name, *(const double *)p) != NULL; break;
        case KEY_INT: ok = cJSON_AddNumberToObject(j, k->name, (double)*(const int64_t *)p) != NULL; break;
        }
    }
    for (int k = 0; ok && k < PARN_TRAIN_NETS; k++) {
        cJSON *net = cJSON_AddObjectToObject(j, net_keys[k]);
        cJSON *o = parn_optim_config_to_json(&c->net[k].optim);
        cJSON *s = parn_schedule_config_to_json(&c->net[k].schedule);
        ok = net && o && s;
        if (ok) {
            cJSON_AddItemToObject(net, "optim", o);
            cJSON_AddItemToObject(net, "schedule", s);
        } else {
            cJSON_Delete(o);
            cJSON_Delete(s);
        }
    }
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}
