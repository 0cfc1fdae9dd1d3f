/* SPDX-License-Identifier: MIT */
/* Optimizers, clipping and schedules against torch.optim (fixtures/optim.safetensors, written
 * by tests/reference/train/optim.py): parameters after every step, the global norm before
 * clipping, the lr of every step; checkpoint-style restores; configs and their errors. */
#include "common/optest.h"

#include "io/safetensors.h"
#include "train/optim.h"
#include "train/schedule.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_T 8

/* ---- fixture access ----------------------------------------------------------------------- */

static parn_st_file *open_fixture(void)
{
    const char *dir = getenv("PARN_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/optim.safetensors", dir ? dir : "tests/reference/fixtures");
    parn_st_file *f = NULL;
    ck_assert_msg(parn_st_open(path, &f) == PARN_OK, "%s", parn_last_error(NULL));
    return f;
}

static cJSON *meta_list(parn_st_file *f, const char *key)
{
    cJSON *j = cJSON_Parse(parn_st_metadata(f, key));
    ck_assert_msg(cJSON_IsArray(j), "fixture metadata '%s' is not a list", key);
    return j;
}

static int meta_count(const char *key)
{
    const char *dir = getenv("PARN_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/optim.safetensors", dir ? dir : "tests/reference/fixtures");
    parn_st_file *f = NULL;
    if (parn_st_open(path, &f) != PARN_OK) return 1; /* case 0 then fails saying why */
    cJSON *j = cJSON_Parse(parn_st_metadata(f, key));
    int n = cJSON_GetArraySize(j);
    cJSON_Delete(j);
    parn_st_close(f);
    return n > 0 ? n : 1;
}

static const float *tensor(parn_st_file *f, int64_t *numel, const char *fmt, int a, int b, int c)
{
    char key[96];
    snprintf(key, sizeof key, fmt, a, b, c);
    parn_tensor t;
    ck_assert_msg(parn_st_get(f, key, &t) == PARN_OK, "fixture has no %s", key);
    if (numel) *numel = parn_tensor_numel(&t);
    return t.data;
}

static double num_at(const cJSON *obj, const char *key, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(obj, key), i)->valuedouble;
}

/* A config from libparn's JSON as the fixture wrote it: torch's defaults for the kind first. */
static parn_optim_config config_of(const cJSON *j)
{
    parn_optim_config c;
    const char *kind = cJSON_GetObjectItemCaseSensitive(j, "kind")->valuestring;
    parn_optim_config_default(&c, strcmp(kind, "sgd") == 0    ? PARN_OPTIM_SGD
                                  : strcmp(kind, "adam") == 0 ? PARN_OPTIM_ADAM
                                                              : PARN_OPTIM_ADAMW);
    ck_assert_msg(parn_optim_config_from_json(j, &c) == PARN_OK, "%s", parn_last_error(NULL));
    return c;
}

/* One optimizer case: its tensors (owned copies) and an optimizer over them. */
typedef struct run_state {
    parn_st_file *f;
    cJSON *meta;
    const cJSON *cm;
    int idx, n, steps;
    int64_t numel[MAX_T];
    float *p[MAX_T], *g[MAX_T];
    parn_optim *o;
} run_state;

static void run_open(run_state *r, int idx)
{
    memset(r, 0, sizeof *r);
    r->idx = idx;
    r->f = open_fixture();
    r->meta = meta_list(r->f, "optim");
    r->cm = cJSON_GetArrayItem(r->meta, idx);
    r->n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r->cm, "shapes"));
    r->steps = cJSON_GetObjectItemCaseSensitive(r->cm, "steps")->valueint;
    ck_assert_int_le(r->n, MAX_T);
    for (int i = 0; i < r->n; i++) {
        const float *init = tensor(r->f, &r->numel[i], "%d.init.%d", idx, i, 0);
        r->p[i] = malloc((size_t)r->numel[i] * sizeof(float));
        r->g[i] = malloc((size_t)r->numel[i] * sizeof(float));
        memcpy(r->p[i], init, (size_t)r->numel[i] * sizeof(float));
    }
    parn_optim_config c = config_of(cJSON_GetObjectItemCaseSensitive(r->cm, "config"));
    ck_assert_int_eq(parn_optim_create(&c, r->n, r->numel, &r->o), PARN_OK);
}

/* Step s: the fixture's gradients, clipping, the update; returns the norm before clipping. */
static double run_step(run_state *r, parn_optim *o, float **p, int s)
{
    for (int i = 0; i < r->n; i++)
        memcpy(r->g[i], tensor(r->f, NULL, "%d.grad.%d.%d", r->idx, s, i), (size_t)r->numel[i] * sizeof(float));
    double norm;
    parn_optim_clip(o, r->g, &norm);
    ck_assert_int_eq(parn_optim_step(o, p, r->g, num_at(r->cm, "lrs", s)), PARN_OK);
    return norm;
}

static void run_close(run_state *r)
{
    for (int i = 0; i < r->n; i++) {
        free(r->p[i]);
        free(r->g[i]);
    }
    parn_optim_destroy(r->o);
    cJSON_Delete(r->meta);
    parn_st_close(r->f);
}

/* ---- optimizers against torch ------------------------------------------------------------- */

START_TEST(optimizer_matches_torch)
{
    run_state r;
    run_open(&r, _i);
    char *cfg = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(r.cm, "config"));
    for (int s = 0; s < r.steps; s++) {
        double norm = run_step(&r, r.o, r.p, s);
        double ref_norm = num_at(r.cm, "norms", s);
        ck_assert_msg(fabs(norm - ref_norm) <= 1e-6 * ref_norm, "%s step %d: norm %.9g, torch %.9g",
                      cfg, s, norm, ref_norm);
        for (int i = 0; i < r.n; i++) {
            double err = optest_rel_error(r.p[i], tensor(r.f, NULL, "%d.param.%d.%d", _i, s, i), r.numel[i]);
            ck_assert_msg(err < 1e-6, "%s step %d tensor %d: relative error %.3g", cfg, s, i, err);
        }
    }
    ck_assert_int_eq(parn_optim_steps(r.o), r.steps);
    free(cfg);
    run_close(&r);
}
END_TEST

/* 10 steps, state copied into a fresh optimizer (as a checkpoint would), 10 more: the same bits
 * as 20 uninterrupted steps. */
START_TEST(restored_state_continues_bit_for_bit)
{
    run_state r;
    run_open(&r, _i);
    enum { HALF = 10 };
    float *q[MAX_T];
    for (int i = 0; i < r.n; i++) q[i] = malloc((size_t)r.numel[i] * sizeof(float));
    for (int s = 0; s < HALF; s++) run_step(&r, r.o, r.p, s);
    parn_optim *fresh;
    ck_assert_int_eq(parn_optim_create(parn_optim_config_of(r.o), r.n, r.numel, &fresh), PARN_OK);
    ck_assert_int_eq(parn_optim_n_buffers(fresh), parn_optim_n_buffers(r.o));
    for (int i = 0; i < r.n; i++) {
        memcpy(q[i], r.p[i], (size_t)r.numel[i] * sizeof(float));
        for (int k = 0; k < parn_optim_n_buffers(r.o); k++)
            memcpy(parn_optim_buffer(fresh, k, i), parn_optim_buffer(r.o, k, i),
                   (size_t)r.numel[i] * sizeof(float));
    }
    parn_optim_set_steps(fresh, parn_optim_steps(r.o));
    for (int s = HALF; s < 2 * HALF; s++) {
        run_step(&r, r.o, r.p, s);
        run_step(&r, fresh, q, s);
    }
    for (int i = 0; i < r.n; i++)
        ck_assert_msg(memcmp(q[i], r.p[i], (size_t)r.numel[i] * sizeof(float)) == 0,
                      "case %d tensor %d differs after the restore", _i, i);
    for (int i = 0; i < r.n; i++) free(q[i]);
    parn_optim_destroy(fresh);
    run_close(&r);
}
END_TEST

START_TEST(buffers_per_kind)
{
    int64_t numel[2] = {3, 0};
    parn_optim_config c;
    parn_optim *o;
    parn_optim_config_default(&c, PARN_OPTIM_SGD);
    ck_assert_int_eq(parn_optim_create(&c, 2, numel, &o), PARN_OK);
    ck_assert_int_eq(parn_optim_n_buffers(o), 0);
    ck_assert_ptr_null(parn_optim_buffer(o, 0, 0));
    parn_optim_destroy(o);
    c.momentum = 0.9;
    ck_assert_int_eq(parn_optim_create(&c, 2, numel, &o), PARN_OK);
    ck_assert_int_eq(parn_optim_n_buffers(o), 1);
    ck_assert_ptr_nonnull(parn_optim_buffer(o, 0, 1));
    ck_assert_ptr_null(parn_optim_buffer(o, 1, 0));
    ck_assert_ptr_null(parn_optim_buffer(o, 0, 2));
    parn_optim_destroy(o);
    parn_optim_config_default(&c, PARN_OPTIM_ADAMW);
    ck_assert_double_eq(c.weight_decay, 1e-2);
    ck_assert_int_eq(parn_optim_create(&c, 2, numel, &o), PARN_OK);
    ck_assert_int_eq(parn_optim_n_buffers(o), 2);
    for (int i = 0; i < 3; i++) ck_assert_float_eq(parn_optim_buffer(o, 1, 0)[i], 0.0f);
    /* an empty tensor and a NULL pointer for it are fine */
    float p[3] = {1, 2, 3}, gr[3] = {1, 1, 1};
    ck_assert_int_eq(parn_optim_step(o, (float *[]){p, NULL}, (float *[]){gr, NULL}, 0.1), PARN_OK);
    ck_assert_int_eq(parn_optim_steps(o), 1);
    ck_assert_float_lt(p[0], 1.0f);
    parn_optim_destroy(o);
    parn_optim_destroy(NULL);
}
END_TEST

START_TEST(clipping_only_when_asked_and_over_the_norm)
{
    int64_t numel[2] = {2, 1};
    float a[2] = {3, 0}, b[1] = {4};
    float *g[2] = {a, b};
    parn_optim_config c;
    parn_optim *o;
    parn_optim_config_default(&c, PARN_OPTIM_SGD);
    ck_assert_int_eq(parn_optim_create(&c, 2, numel, &o), PARN_OK);
    double norm;
    parn_optim_clip(o, g, &norm);
    ck_assert_double_eq_tol(norm, 5.0, 1e-6);
    ck_assert_float_eq(a[0], 3.0f); /* clip_norm 0: measured, not changed */
    parn_optim_destroy(o);
    c.clip_norm = 10;
    ck_assert_int_eq(parn_optim_create(&c, 2, numel, &o), PARN_OK);
    parn_optim_clip(o, g, NULL);
    ck_assert_float_eq(b[0], 4.0f); /* under the norm */
    parn_optim_destroy(o);
    c.clip_norm = 1;
    ck_assert_int_eq(parn_optim_create(&c, 2, numel, &o), PARN_OK);
    parn_optim_clip(o, g, &norm);
    ck_assert_double_eq_tol(norm, 5.0, 1e-6);
    ck_assert_float_eq_tol(a[0], 0.6f, 1e-6f);
    ck_assert_float_eq_tol(b[0], 0.8f, 1e-6f);
    parn_optim_destroy(o);
}
END_TEST

static bool same_optim_config(const parn_optim_config *a, const parn_optim_config *b)
{
    return a->kind == b->kind && a->lr == b->lr && a->momentum == b->momentum &&
           a->nesterov == b->nesterov && a->beta1 == b->beta1 && a->beta2 == b->beta2 &&
           a->eps == b->eps && a->weight_decay == b->weight_decay && a->clip_norm == b->clip_norm;
}

static bool same_schedule_config(const parn_schedule_config *a, const parn_schedule_config *b)
{
    return a->kind == b->kind && a->step_size == b->step_size && a->gamma == b->gamma &&
           a->total == b->total && a->min_lr == b->min_lr && a->factor == b->factor &&
           a->patience == b->patience && a->threshold == b->threshold &&
           a->plateau_min_lr == b->plateau_min_lr && a->warmup == b->warmup;
}

/* ---- configs ------------------------------------------------------------------------------ */

static void expect_optim_error(const char *json, const char *word)
{
    cJSON *j = cJSON_Parse(json);
    ck_assert_msg(j != NULL, "bad test JSON %s", json);
    parn_optim_config c, before;
    parn_optim_config_default(&c, PARN_OPTIM_ADAM);
    before = c;
    ck_assert_int_eq(parn_optim_config_from_json(j, &c), PARN_E_INVALID_ARG);
    ck_assert_msg(strstr(parn_last_error(NULL), word), "%s: message '%s' lacks '%s'", json,
                  parn_last_error(NULL), word);
    ck_assert_msg(same_optim_config(&c, &before), "%s: a failed parse changed the config", json);
    cJSON_Delete(j);
}

START_TEST(bad_optimizer_configs_are_errors)
{
    expect_optim_error("{\"lr\": -1e-4}", "lr");
    expect_optim_error("{\"lr\": \"fast\"}", "\"lr\" must be a number");
    expect_optim_error("{\"kind\": \"rmsprop\"}", "unknown kind \"rmsprop\"");
    expect_optim_error("{\"kind\": 1}", "\"kind\" must be a string");
    expect_optim_error("{\"momentum\": 1.0}", "momentum");
    expect_optim_error("{\"momentum\": -0.1}", "momentum");
    expect_optim_error("{\"nesterov\": 1}", "\"nesterov\" must be true or false");
    expect_optim_error("{\"nesterov\": true}", "nesterov needs momentum");
    expect_optim_error("{\"beta1\": 1}", "beta1");
    expect_optim_error("{\"beta2\": -0.5}", "beta2");
    expect_optim_error("{\"eps\": 0}", "eps");
    expect_optim_error("{\"weight_decay\": -1}", "weight_decay");
    expect_optim_error("{\"clip_norm\": -2}", "clip_norm");
    expect_optim_error("{\"lr\": 1e-4, \"learning_rate\": 1}", "unknown key \"learning_rate\"");
    expect_optim_error("[1, 2]", "JSON object");

    parn_optim_config c;
    parn_optim *o = NULL;
    parn_optim_config_default(&c, PARN_OPTIM_SGD);
    c.lr = -1;
    ck_assert_int_eq(parn_optim_create(&c, 1, (int64_t[]){4}, &o), PARN_E_INVALID_ARG);
    ck_assert_ptr_null(o);
    c.lr = NAN;
    ck_assert_int_eq(parn_optim_create(&c, 1, (int64_t[]){4}, &o), PARN_E_INVALID_ARG);
    c.lr = 0.1;
    c.kind = (parn_optim_kind)7;
    ck_assert_int_eq(parn_optim_create(&c, 1, (int64_t[]){4}, &o), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "unknown kind 7"));
    c.kind = PARN_OPTIM_SGD;
    ck_assert_int_eq(parn_optim_create(&c, 1, (int64_t[]){-4}, &o), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_optim_create(&c, 1, NULL, &o), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_optim_create(NULL, 1, (int64_t[]){4}, &o), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_optim_create(&c, 1, (int64_t[]){4}, NULL), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_optim_create(&c, 1, (int64_t[]){4}, &o), PARN_OK);
    float p[4] = {0}, g[4] = {0};
    ck_assert_int_eq(parn_optim_step(o, (float *[]){p}, (float *[]){g}, -0.1), PARN_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(parn_last_error(NULL), "lr"));
    ck_assert_int_eq(parn_optim_step(o, (float *[]){p}, (float *[]){NULL}, 0.1), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_optim_step(o, NULL, NULL, 0.1), PARN_E_INVALID_ARG);
    ck_assert_int_eq(parn_optim_steps(o), 0); /* failed steps count for nothing */
    parn_optim_destroy(o);
}
END_TEST

START_TEST(optimizer_config_json_round_trip)
{
    parn_optim_config c, d;
    parn_optim_config_default(&c, PARN_OPTIM_SGD);
    c.lr = 5e-4;
    c.momentum = 0.9;
    c.nesterov = true;
    c.weight_decay = 5e-4;
    c.clip_norm = 12.5;
    c.beta1 = 0.5;
    cJSON *j = parn_optim_config_to_json(&c);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "kind")->valuestring, "sgd");
    parn_optim_config_default(&d, PARN_OPTIM_ADAMW);
    ck_assert_int_eq(parn_optim_config_from_json(j, &d), PARN_OK);
    ck_assert(same_optim_config(&c, &d));
    cJSON_Delete(j);
    /* missing keys keep their values */
    j = cJSON_Parse("{\"kind\": \"adamw\", \"lr\": 1e-4}");
    ck_assert_int_eq(parn_optim_config_from_json(j, &d), PARN_OK);
    ck_assert_int_eq(d.kind, PARN_OPTIM_ADAMW);
    ck_assert_double_eq(d.lr, 1e-4);
    ck_assert_double_eq(d.weight_decay, 5e-4);
    ck_assert_double_eq(d.clip_norm, 12.5);
    cJSON_Delete(j);
    ck_assert_ptr_null(parn_optim_config_to_json(NULL));
}
END_TEST

/* ---- schedules ---------------------------------------------------------------------------- */

START_TEST(schedule_matches_torch)
{
    parn_st_file *f = open_fixture();
    cJSON *list = meta_list(f, "schedules");
    const cJSON *sc = cJSON_GetArrayItem(list, _i);
    const cJSON *cfg_json = cJSON_GetObjectItemCaseSensitive(sc, "config");
    char *cfg = cJSON_PrintUnformatted(cfg_json);
    parn_schedule_config c;
    parn_schedule_config_default(&c);
    ck_assert_msg(parn_schedule_config_from_json(cfg_json, &c) == PARN_OK, "%s", parn_last_error(NULL));
    parn_schedule s;
    parn_schedule_init(&s, &c, cJSON_GetObjectItemCaseSensitive(sc, "base_lr")->valuedouble);
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(sc, "metrics");
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sc, "lrs"));
    for (int t = 0; t < n; t++) {
        double lr = parn_schedule_lr(&s, t), ref = num_at(sc, "lrs", t);
        ck_assert_msg(fabs(lr - ref) <= 1e-9 * fabs(ref) + 1e-15, "%s step %d: lr %.12g, torch %.12g",
                      cfg, t, lr, ref);
        if (t < cJSON_GetArraySize(metrics)) parn_schedule_report(&s, num_at(sc, "metrics", t));
    }
    free(cfg);
    cJSON_Delete(list);
    parn_st_close(f);
}
END_TEST

static void expect_schedule_error(const char *json, const char *word)
{
    cJSON *j = cJSON_Parse(json);
    ck_assert_msg(j != NULL, "bad test JSON %s", json);
    parn_schedule_config c, before;
    parn_schedule_config_default(&c);
    before = c;
    ck_assert_int_eq(parn_schedule_config_from_json(j, &c), PARN_E_INVALID_ARG);
    ck_assert_msg(strstr(parn_last_error(NULL), word), "%s: message '%s' lacks '%s'", json,
                  parn_last_error(NULL), word);
    ck_assert_msg(same_schedule_config(&c, &before), "%s: a failed parse changed the config", json);
    cJSON_Delete(j);
}

START_TEST(bad_schedule_configs_are_errors)
{
    expect_schedule_error("{\"kind\": \"exponential\"}", "unknown kind \"exponential\"");
    expect_schedule_error("{\"kind\": null}", "\"kind\" must be a string");
    expect_schedule_error("{\"kind\": \"step\", \"step_size\": 0}", "step_size");
    expect_schedule_error("{\"step_size\": 2.5}", "\"step_size\" must be a whole number");
    expect_schedule_error("{\"step_size\": \"10\"}", "\"step_size\" must be a number");
    expect_schedule_error("{\"gamma\": 0}", "gamma");
    expect_schedule_error("{\"kind\": \"cosine\"}", "total must be >= 1");
    expect_schedule_error("{\"min_lr\": -1}", "min_lr");
    expect_schedule_error("{\"factor\": 1}", "factor");
    expect_schedule_error("{\"patience\": -1}", "patience");
    expect_schedule_error("{\"threshold\": 2}", "threshold");
    expect_schedule_error("{\"plateau_min_lr\": -0.1}", "plateau_min_lr");
    expect_schedule_error("{\"warmup\": -5}", "warmup");
    expect_schedule_error("{\"warm_up\": 5}", "unknown key \"warm_up\"");
    expect_schedule_error("3", "JSON object");
}
END_TEST

START_TEST(schedule_config_json_round_trip)
{
    parn_schedule_config c, d;
    parn_schedule_config_default(&c);
    c.kind = PARN_SCHED_PLATEAU;
    c.factor = 0.25;
    c.patience = 3;
    c.warmup = 100;
    c.total = 5000;
    c.min_lr = 1e-6;
    cJSON *j = parn_schedule_config_to_json(&c);
    ck_assert_ptr_nonnull(j);
    parn_schedule_config_default(&d);
    ck_assert_int_eq(parn_schedule_config_from_json(j, &d), PARN_OK);
    ck_assert(same_schedule_config(&c, &d));
    cJSON_Delete(j);
}
END_TEST

/* Cosine holds its floor after total steps (torch's would rise again). */
START_TEST(cosine_holds_the_floor_after_total)
{
    parn_schedule_config c;
    parn_schedule_config_default(&c);
    c.kind = PARN_SCHED_COSINE;
    c.total = 10;
    c.min_lr = 1e-5;
    parn_schedule s;
    parn_schedule_init(&s, &c, 1e-3);
    ck_assert_double_eq(parn_schedule_lr(&s, 10), 1e-5);
    ck_assert_double_eq(parn_schedule_lr(&s, 1000000), 1e-5);
    /* the other kinds ignore reports */
    parn_schedule_report(&s, 1.0);
    ck_assert_int_eq(s.bad, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("optim");
    TCase *tc = tcase_create("optimizers");
    tcase_set_timeout(tc, 120);
    int n_optim = meta_count("optim");
    tcase_add_loop_test(tc, optimizer_matches_torch, 0, n_optim);
    tcase_add_loop_test(tc, restored_state_continues_bit_for_bit, 0, n_optim);
    tcase_add_test(tc, buffers_per_kind);
    tcase_add_test(tc, clipping_only_when_asked_and_over_the_norm);
    tcase_add_test(tc, bad_optimizer_configs_are_errors);
    tcase_add_test(tc, optimizer_config_json_round_trip);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("schedules");
    tcase_add_loop_test(ts, schedule_matches_torch, 0, meta_count("schedules"));
    tcase_add_test(ts, bad_schedule_configs_are_errors);
    tcase_add_test(ts, schedule_config_json_round_trip);
    tcase_add_test(ts, cosine_holds_the_floor_after_total);
    suite_add_tcase(s, ts);
    return optest_main(s);
}
