/* SPDX-License-Identifier: MIT */
/* Learning-rate schedules in closed form (a function of the step), so that a resumed run
 * needs no scheduler history; only ReduceLROnPlateau keeps state, in plain fields. */
#include "schedule.h"

#include "core/json.h"

#include <float.h>
#include <math.h>
#include <string.h>

static const char *const kind_names[] = {"constant", "step", "cosine", "plateau"};

void parn_schedule_config_default(parn_schedule_config *c)
{
    memset(c, 0, sizeof *c);
    c->kind = PARN_SCHED_CONSTANT;
    c->step_size = 1;
    c->gamma = 0.1;
    c->factor = 0.1;
    c->patience = 10;
    c->threshold = 1e-4;
}

static bool finite_at_least(double v, double lo)
{
    return isfinite(v) && v >= lo;
}

parn_status parn_schedule_config_check(const parn_schedule_config *c)
{
    PARN_RETURN_IF(!c, PARN_E_INVALID_ARG, "schedule: config is NULL");
    PARN_RETURN_IF(c->kind < PARN_SCHED_CONSTANT || c->kind > PARN_SCHED_PLATEAU,
                   PARN_E_INVALID_ARG, "schedule: unknown kind %d", (int)c->kind);
    PARN_RETURN_IF(c->step_size < 1, PARN_E_INVALID_ARG, "schedule: step_size must be >= 1, got %lld",
                   (long long)c->step_size);
    PARN_RETURN_IF(!finite_at_least(c->gamma, 0) || c->gamma == 0, PARN_E_INVALID_ARG,
                   "schedule: gamma must be a finite number > 0, got %g", c->gamma);
    PARN_RETURN_IF(c->total < 0 || (c->kind == PARN_SCHED_COSINE && c->total < 1),
                   PARN_E_INVALID_ARG, "schedule: total must be >= 1 for cosine, got %lld",
                   (long long)c->total);
    PARN_RETURN_IF(!finite_at_least(c->min_lr, 0), PARN_E_INVALID_ARG,
                   "schedule: min_lr must be a finite number >= 0, got %g", c->min_lr);
    PARN_RETURN_IF(!(c->factor > 0 && c->factor < 1), PARN_E_INVALID_ARG,
                   "schedule: factor must be in (0, 1), got %g", c->factor);
    PARN_RETURN_IF(c->patience < 0, PARN_E_INVALID_ARG, "schedule: patience must be >= 0, got %d",
                   c->patience);
    PARN_RETURN_IF(!finite_at_least(c->threshold, 0) || c->threshold >= 1, PARN_E_INVALID_ARG,
                   "schedule: threshold must be in [0, 1), got %g", c->threshold);
    PARN_RETURN_IF(!finite_at_least(c->plateau_min_lr, 0), PARN_E_INVALID_ARG,
                   "schedule: plateau_min_lr must be a finite number >= 0, got %g",
                   c->plateau_min_lr);
    PARN_RETURN_IF(c->warmup < 0, PARN_E_INVALID_ARG, "schedule: warmup must be >= 0, got %lld",
                   (long long)c->warmup);
    return PARN_OK;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static const char *const json_keys[] = {"kind", "step_size", "gamma", "total", "min_lr", "factor",
                                        "patience", "threshold", "plateau_min_lr", "warmup"};
#define N_KEYS (sizeof json_keys / sizeof json_keys[0])

static parn_status check_keys(const cJSON *j)
{
    return parn__json_check_keys(j, json_keys, N_KEYS, "schedule");
}

static parn_status get_number(const cJSON *j, const char *key, double *v)
{
    return parn__json_number(j, key, "schedule", v);
}

/* An integer in [0, 2^53] (exactly representable in JSON's doubles). */
static parn_status get_int(const cJSON *j, const char *key, int64_t *v)
{
    double d = (double)*v;
    PARN_TRY(get_number(j, key, &d));
    PARN_RETURN_IF(!(d >= 0 && d <= 9007199254740992.0) || d != floor(d), PARN_E_INVALID_ARG,
                   "schedule: \"%s\" must be a whole number >= 0, got %g", key, d);
    *v = (int64_t)d;
    return PARN_OK;
}

static parn_status get_kind(const cJSON *j, parn_schedule_kind *kind)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(j, "kind");
    if (!it) return PARN_OK;
    PARN_RETURN_IF(!cJSON_IsString(it), PARN_E_INVALID_ARG,
                   "schedule: \"kind\" must be a string (constant, step, cosine or plateau)");
    for (int k = 0; k <= PARN_SCHED_PLATEAU; k++)
        if (strcmp(it->valuestring, kind_names[k]) == 0) {
            *kind = (parn_schedule_kind)k;
            return PARN_OK;
        }
    return parn__fail(PARN_E_INVALID_ARG,
                      "schedule: unknown kind \"%s\" (constant, step, cosine or plateau)",
                      it->valuestring);
}

parn_status parn_schedule_config_from_json(const cJSON *j, parn_schedule_config *c)
{
    PARN_RETURN_IF(!c, PARN_E_INVALID_ARG, "schedule: config is NULL");
    PARN_RETURN_IF(!cJSON_IsObject(j), PARN_E_INVALID_ARG, "schedule: config must be a JSON object");
    PARN_TRY(check_keys(j));
    parn_schedule_config t = *c;
    int64_t patience = t.patience;
    PARN_TRY(get_kind(j, &t.kind));
    PARN_TRY(get_int(j, "step_size", &t.step_size));
    PARN_TRY(get_number(j, "gamma", &t.gamma));
    PARN_TRY(get_int(j, "total", &t.total));
    PARN_TRY(get_number(j, "min_lr", &t.min_lr));
    PARN_TRY(get_number(j, "factor", &t.factor));
    PARN_TRY(get_int(j, "patience", &patience));
    PARN_RETURN_IF(patience > 1000000000, PARN_E_INVALID_ARG, "schedule: patience %lld is too large",
                   (long long)patience);
    t.patience = (int)patience;
    PARN_TRY(get_number(j, "threshold", &t.threshold));
    PARN_TRY(get_number(j, "plateau_min_lr", &t.plateau_min_lr));
    PARN_TRY(get_int(j, "warmup", &t.warmup));
    PARN_TRY(parn_schedule_config_check(&t));
    *c = t;
    return PARN_OK;
}

cJSON *parn_schedule_config_to_json(const parn_schedule_config *c)
{
    if (!c || c->kind < PARN_SCHED_CONSTANT || c->kind > PARN_SCHED_PLATEAU) return NULL;
    cJSON *j = cJSON_CreateObject();
    bool ok = j && cJSON_AddStringToObject(j, "kind", kind_names[c->kind]) &&
              cJSON_AddNumberToObject(j, "step_size", (double)c->step_size) &&
              cJSON_AddNumberToObject(j, "gamma", c->gamma) &&
              cJSON_AddNumberToObject(j, "total", (double)c->total) &&
              cJSON_AddNumberToObject(j, "min_lr", c->min_lr) &&
              cJSON_AddNumberToObject(j, "factor", c->factor) &&
              cJSON_AddNumberToObject(j, "patience", c->patience) &&
              cJSON_AddNumberToObject(j, "threshold", c->threshold) &&
              cJSON_AddNumberToObject(j, "plateau_min_lr", c->plateau_min_lr) &&
              cJSON_AddNumberToObject(j, "warmup", (double)c->warmup);
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* ---- the rates ------------------------------------------------------------------------------ */

void parn_schedule_init(parn_schedule *s, const parn_schedule_config *c, double base_lr)
{
    memset(s, 0, sizeof *s);
    s->c = *c;
    s->base_lr = base_lr;
    s->plateau_lr = base_lr;
    /* torch starts from +inf; DBL_MAX behaves the same for finite metrics and stays valid JSON */
    s->best = DBL_MAX;
    s->bad = 0;
}

/* The rate of the main schedule t steps after the warm-up. */
static double main_lr(const parn_schedule *s, int64_t t)
{
    const parn_schedule_config *c = &s->c;
    switch (c->kind) {
    case PARN_SCHED_STEP:
        return s->base_lr * pow(c->gamma, (double)(t / c->step_size));
    case PARN_SCHED_COSINE:
        /* torch's cosine comes back up after T_max; a training schedule holds the floor */
        if (t >= c->total) return c->min_lr;
        return c->min_lr + (s->base_lr - c->min_lr) * (1 + cos(M_PI * (double)t / (double)c->total)) / 2;
    case PARN_SCHED_PLATEAU:
        return s->plateau_lr;
    case PARN_SCHED_CONSTANT:
    default:
        return s->base_lr;
    }
}

double parn_schedule_lr(const parn_schedule *s, int64_t step)
{
    if (!s) return 0;
    if (step < 0) step = 0;
    int64_t w = s->c.warmup;
    /* linear warm-up to the schedule's first rate: (step + 1) / w of it on step 0 .. w - 1 */
    if (step < w) return main_lr(s, 0) * (double)(step + 1) / (double)w;
    return main_lr(s, step - w);
}

void parn_schedule_report(parn_schedule *s, double metric)
{
    if (!s || s->c.kind != PARN_SCHED_PLATEAU) return;
    /* ReduceLROnPlateau, mode "min", threshold_mode "rel", cooldown 0, eps 1e-8 */
    if (metric < s->best * (1 - s->c.threshold)) {
        s->best = metric;
        s->bad = 0;
    } else {
        s->bad++;
    }
    if (s->bad > s->c.patience) {
        double next = fmax(s->plateau_lr * s->c.factor, s->c.plateau_min_lr);
        if (s->plateau_lr - next > 1e-8) s->plateau_lr = next;
        s->bad = 0;
    }
}
