/* SPDX-License-Identifier: MIT */
/* SGD, Adam and AdamW as torch.optim 1.13 writes them (_single_tensor_*), in float32 with the
 * scalar coefficients computed in double as Python does, and clip_grad_norm_. */
#include "optim.h"

#include "core/json.h"

#include <math.h>
#include <string.h>

struct parn_optim {
    parn_optim_config c;
    int n;
    int64_t *numel;
    float **buf[2];   /* per tensor: momentum / exp_avg, exp_avg_sq */
    int n_buf;
    int64_t steps;
};

/* ---- configuration --------------------------------------------------------------------- */

void parn_optim_config_default(parn_optim_config *c, parn_optim_kind kind)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->lr = 1e-3;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
    c->weight_decay = kind == PARN_OPTIM_ADAMW ? 1e-2 : 0.0;
}

static const char *const kind_names[] = {"sgd", "adam", "adamw"};

static bool in_range(double v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi;
}

parn_status parn_optim_config_check(const parn_optim_config *c)
{
    PARN_RETURN_IF(!c, PARN_E_INVALID_ARG, "optimizer: config is NULL");
    PARN_RETURN_IF(c->kind < PARN_OPTIM_SGD || c->kind > PARN_OPTIM_ADAMW, PARN_E_INVALID_ARG,
                   "optimizer: unknown kind %d", (int)c->kind);
    PARN_RETURN_IF(!in_range(c->lr, 0, HUGE_VAL), PARN_E_INVALID_ARG,
                   "optimizer: lr must be a finite number >= 0, got %g", c->lr);
    PARN_RETURN_IF(!in_range(c->momentum, 0, 1) || c->momentum == 1, PARN_E_INVALID_ARG,
                   "optimizer: momentum must be in [0, 1), got %g", c->momentum);
    PARN_RETURN_IF(c->nesterov && !(c->momentum > 0), PARN_E_INVALID_ARG,
                   "optimizer: nesterov needs momentum > 0");
    PARN_RETURN_IF(!in_range(c->beta1, 0, 1) || c->beta1 == 1, PARN_E_INVALID_ARG,
                   "optimizer: beta1 must be in [0, 1), got %g", c->beta1);
    PARN_RETURN_IF(!in_range(c->beta2, 0, 1) || c->beta2 == 1, PARN_E_INVALID_ARG,
                   "optimizer: beta2 must be in [0, 1), got %g", c->beta2);
    PARN_RETURN_IF(!in_range(c->eps, 0, HUGE_VAL) || c->eps == 0, PARN_E_INVALID_ARG,
                   "optimizer: eps must be a finite number > 0, got %g", c->eps);
    PARN_RETURN_IF(!in_range(c->weight_decay, 0, HUGE_VAL), PARN_E_INVALID_ARG,
                   "optimizer: weight_decay must be a finite number >= 0, got %g", c->weight_decay);
    PARN_RETURN_IF(!in_range(c->clip_norm, 0, HUGE_VAL), PARN_E_INVALID_ARG,
                   "optimizer: clip_norm must be a finite number >= 0 (0 = no clipping), got %g",
                   c->clip_norm);
    return PARN_OK;
}

static const char *const json_keys[] = {"kind", "lr", "momentum", "nesterov", "beta1", "beta2",
                                        "eps", "weight_decay", "clip_norm"};
#define N_KEYS (sizeof json_keys / sizeof json_keys[0])

static parn_status check_keys(const cJSON *j)
{
    return parn__json_check_keys(j, json_keys, N_KEYS, "optimizer");
}

static parn_status get_number(const cJSON *j, const char *key, double *v)
{
    return parn__json_number(j, key, "optimizer", v);
}

static parn_status get_kind(const cJSON *j, parn_optim_kind *kind)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(j, "kind");
    if (!it) return PARN_OK;
    PARN_RETURN_IF(!cJSON_IsString(it), PARN_E_INVALID_ARG,
                   "optimizer: \"kind\" must be a string (sgd, adam or adamw)");
    for (int k = 0; k <= PARN_OPTIM_ADAMW; k++)
        if (strcmp(it->valuestring, kind_names[k]) == 0) {
            *kind = (parn_optim_kind)k;
            return PARN_OK;
        }
    return parn__fail(PARN_E_INVALID_ARG, "optimizer: unknown kind \"%s\" (sgd, adam or adamw)",
                      it->valuestring);
}

parn_status parn_optim_config_from_json(const cJSON *j, parn_optim_config *c)
{
    PARN_RETURN_IF(!c, PARN_E_INVALID_ARG, "optimizer: config is NULL");
    PARN_RETURN_IF(!cJSON_IsObject(j), PARN_E_INVALID_ARG, "optimizer: config must be a JSON object");
    PARN_TRY(check_keys(j));
    parn_optim_config t = *c;
    PARN_TRY(get_kind(j, &t.kind));
    PARN_TRY(get_number(j, "lr", &t.lr));
    PARN_TRY(get_number(j, "momentum", &t.momentum));
    PARN_TRY(get_number(j, "beta1", &t.beta1));
    PARN_TRY(get_number(j, "beta2", &t.beta2));
    PARN_TRY(get_number(j, "eps", &t.eps));
    PARN_TRY(get_number(j, "weight_decay", &t.weight_decay));
    PARN_TRY(get_number(j, "clip_norm", &t.clip_norm));
    const cJSON *nes = cJSON_GetObjectItemCaseSensitive(j, "nesterov");
    if (nes) {
        PARN_RETURN_IF(!cJSON_IsBool(nes), PARN_E_INVALID_ARG,
                       "optimizer: \"nesterov\" must be true or false");
        t.nesterov = cJSON_IsTrue(nes);
    }
    PARN_TRY(parn_optim_config_check(&t));
    *c = t;
    return PARN_OK;
}

cJSON *parn_optim_config_to_json(const parn_optim_config *c)
{
    if (!c || c->kind < PARN_OPTIM_SGD || c->kind > PARN_OPTIM_ADAMW) return NULL;
    cJSON *j = cJSON_CreateObject();
    bool ok = j && cJSON_AddStringToObject(j, "kind", kind_names[c->kind]) &&
              cJSON_AddNumberToObject(j, "lr", c->lr) &&
              cJSON_AddNumberToObject(j, "momentum", c->momentum) &&
              cJSON_AddBoolToObject(j, "nesterov", c->nesterov) &&
              cJSON_AddNumberToObject(j, "beta1", c->beta1) &&
              cJSON_AddNumberToObject(j, "beta2", c->beta2) &&
              cJSON_AddNumberToObject(j, "eps", c->eps) &&
              cJSON_AddNumberToObject(j, "weight_decay", c->weight_decay) &&
              cJSON_AddNumberToObject(j, "clip_norm", c->clip_norm);
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* ---- state ------------------------------------------------------------------------------- */

static int buffers_of(const parn_optim_config *c)
{
    if (c->kind != PARN_OPTIM_SGD) return 2;
    return c->momentum > 0 ? 1 : 0;
}

parn_status parn_optim_create(const parn_optim_config *c, int n, const int64_t *numel, parn_optim **out)
{
    PARN_RETURN_IF(!out, PARN_E_INVALID_ARG, "optimizer: out is NULL");
    *out = NULL;
    PARN_TRY(parn_optim_config_check(c));
    PARN_RETURN_IF(n < 0 || (n > 0 && !numel), PARN_E_INVALID_ARG,
                   "optimizer: %d tensors (numel %s)", n, numel ? "given" : "NULL");
    for (int i = 0; i < n; i++)
        PARN_RETURN_IF(numel[i] < 0, PARN_E_INVALID_ARG, "optimizer: tensor %d has %lld elements",
                       i, (long long)numel[i]);
    parn_optim *o = parn__calloc(1, sizeof *o);
    PARN_RETURN_IF(!o, PARN_E_NOMEM, "optimizer: out of memory");
    o->c = *c;
    o->n = n;
    o->n_buf = buffers_of(c);
    bool ok = (o->numel = parn__calloc((size_t)n + 1, sizeof *o->numel)) != NULL;
    for (int k = 0; k < o->n_buf && ok; k++)
        ok = (o->buf[k] = parn__calloc((size_t)n + 1, sizeof *o->buf[k])) != NULL;
    for (int i = 0; i < n && ok; i++) {
        o->numel[i] = numel[i];
        /* zeros: Adam's moments start at 0; SGD's buffer is written on the first step */
        for (int k = 0; k < o->n_buf && ok; k++)
            ok = (o->buf[k][i] = parn__aligned_alloc((size_t)(numel[i] ? numel[i] : 1) * sizeof(float))) != NULL;
        for (int k = 0; k < o->n_buf && ok; k++)
            memset(o->buf[k][i], 0, (size_t)numel[i] * sizeof(float));
    }
    if (!ok) {
        parn_optim_destroy(o);
        return parn__fail(PARN_E_NOMEM, "optimizer: out of memory for %d tensors", n);
    }
    *out = o;
    return PARN_OK;
}

void parn_optim_destroy(parn_optim *o)
{
    if (!o) return;
    for (int k = 0; k < 2; k++) {
        if (!o->buf[k]) continue;
        for (int i = 0; i < o->n; i++) parn__free(o->buf[k][i]);
        parn__free(o->buf[k]);
    }
    parn__free(o->numel);
    parn__free(o);
}

float *parn_optim_buffer(parn_optim *o, int k, int i)
{
    if (!o || k < 0 || k >= o->n_buf || i < 0 || i >= o->n) return NULL;
    return o->buf[k][i];
}

int parn_optim_n_buffers(const parn_optim *o)
{
    return o ? o->n_buf : 0;
}

int64_t parn_optim_steps(const parn_optim *o)
{
    return o ? o->steps : 0;
}

void parn_optim_set_steps(parn_optim *o, int64_t steps)
{
    if (o && steps >= 0) o->steps = steps;
}

const parn_optim_config *parn_optim_config_of(const parn_optim *o)
{
    return o ? &o->c : NULL;
}

/* ---- clipping ---------------------------------------------------------------------------- */

void parn_optim_clip(parn_optim *o, float *const *grads, double *norm)
{
    if (norm) *norm = 0;
    if (!o || !grads) return;
    double sq = 0;
    for (int i = 0; i < o->n; i++) {
        const float *g = grads[i];
        double s = 0;
        for (int64_t e = 0; e < o->numel[i]; e++) s += (double)g[e] * g[e];
        sq += s;
    }
    /* torch computes the norm and the coefficient as float32 tensors */
    float total = (float)sqrt(sq);
    if (norm) *norm = total;
    if (!(o->c.clip_norm > 0)) return;
    float coef = (float)o->c.clip_norm / (total + 1e-6f);
    if (!(coef < 1.0f)) return; /* clamp(max = 1): multiplying by 1 changes nothing; NaN too */
    for (int i = 0; i < o->n; i++)
        for (int64_t e = 0; e < o->numel[i]; e++) grads[i][e] *= coef;
}

/* ---- updates ----------------------------------------------------------------------------- */

static void sgd_tensor(const parn_optim_config *c, bool first, int64_t n, float *p,
                       const float *g, float *buf, float lr)
{
    const float wd = (float)c->weight_decay, mom = (float)c->momentum, neg_lr = -lr;
    for (int64_t e = 0; e < n; e++) {
        float d = c->weight_decay != 0 ? g[e] + wd * p[e] : g[e];
        if (buf) {
            buf[e] = first ? d : buf[e] * mom + d;
            d = c->nesterov ? d + mom * buf[e] : buf[e];
        }
        p[e] = p[e] + neg_lr * d;
    }
}

/* Adam (L2 added to the gradient) or AdamW (decoupled decay applied to p first). */
static void adam_tensor(const parn_optim_config *c, int64_t step, int64_t n, float *p,
                        const float *g, float *m, float *v, double lr)
{
    const bool adamw = c->kind == PARN_OPTIM_ADAMW;
    const float decay = (float)(1 - lr * c->weight_decay), wd = (float)c->weight_decay;
    const float b1 = (float)c->beta1, b2 = (float)c->beta2;
    const float one_b1 = (float)(1 - c->beta1), one_b2 = (float)(1 - c->beta2);
    const double bc1 = 1 - pow(c->beta1, (double)step), bc2 = 1 - pow(c->beta2, (double)step);
    const float neg_step = (float)-(lr / bc1), bc2_sqrt = (float)sqrt(bc2), eps = (float)c->eps;
    for (int64_t e = 0; e < n; e++) {
        float ge = g[e];
        if (adamw) p[e] = p[e] * decay;
        else if (c->weight_decay != 0) ge = ge + wd * p[e];
        m[e] = m[e] * b1 + one_b1 * ge;
        v[e] = v[e] * b2 + one_b2 * ge * ge;
        float denom = sqrtf(v[e]) / bc2_sqrt + eps;
        p[e] = p[e] + neg_step * (m[e] / denom);
    }
}

parn_status parn_optim_step(parn_optim *o, float *const *params, float *const *grads, double lr)
{
    PARN_RETURN_IF(!o || (o->n > 0 && (!params || !grads)), PARN_E_INVALID_ARG,
                   "optimizer step: NULL argument");
    PARN_RETURN_IF(!isfinite(lr) || lr < 0, PARN_E_INVALID_ARG,
                   "optimizer step: lr must be a finite number >= 0, got %g", lr);
    for (int i = 0; i < o->n; i++)
        PARN_RETURN_IF(o->numel[i] > 0 && (!params[i] || !grads[i]), PARN_E_INVALID_ARG,
                       "optimizer step: tensor %d has no data or no gradient", i);
    o->steps++;
    for (int i = 0; i < o->n; i++) {
        if (o->c.kind == PARN_OPTIM_SGD)
            sgd_tensor(&o->c, o->steps == 1, o->numel[i], params[i], grads[i],
                       o->n_buf ? o->buf[0][i] : NULL, (float)lr);
        else
            adam_tensor(&o->c, o->steps, o->numel[i], params[i], grads[i], o->buf[0][i],
                        o->buf[1][i], lr);
    }
    return PARN_OK;
}
