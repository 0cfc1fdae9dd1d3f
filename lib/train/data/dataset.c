/* SPDX-License-Identifier: MIT */
/* Datasets: the public calls, the config, the item and class tables, the seeded order of the
 * stream and the synchronous batch maker the loader's workers share. */
#include "data_impl.h"

#include "core/options.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_WORKERS 2
#define DEFAULT_PREFETCH 2
#define MAX_SEED 9007199254740992LL /* 2^53, as PARN_OPT_SEED: exact in JSON */
#define SALT_ORDER 0x6f72646572ull /* "order" */
#define SALT_ITEM 0x6974656dull    /* "item" */

static const char *const kind_names[] = {"faces", "face-videos", "actions", "hollywood2",
                                         "synthetic"};

uint64_t parn__data_mix(uint64_t a, uint64_t b)
{
    uint64_t z = a ^ (b + 0x9E3779B97F4A7C15ull + (a << 6) + (a >> 2));
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- config ------------------------------------------------------------------------------------ */

static const cJSON *cfg_item(const cJSON *cfg, const char *key)
{
    return cfg ? cJSON_GetObjectItemCaseSensitive(cfg, key) : NULL;
}

parn_status parn__cfg_int(const cJSON *cfg, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    const cJSON *v = cfg_item(cfg, key);
    if (!v) return PARN_OK;
    double x = cJSON_IsNumber(v) ? v->valuedouble : 0.0;
    PARN_RETURN_IF(!cJSON_IsNumber(v) || x != (double)(int64_t)x || x < (double)lo ||
                       x > (double)hi,
                   PARN_E_INVALID_ARG, "dataset config: \"%s\" must be an integer in [%lld, %lld]",
                   key, (long long)lo, (long long)hi);
    *out = (int64_t)x;
    return PARN_OK;
}

parn_status parn__cfg_float(const cJSON *cfg, const char *key, double lo, double hi, double *out)
{
    const cJSON *v = cfg_item(cfg, key);
    if (!v) return PARN_OK;
    PARN_RETURN_IF(!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi),
                   PARN_E_INVALID_ARG, "dataset config: \"%s\" must be a number in [%g, %g]", key,
                   lo, hi);
    *out = v->valuedouble;
    return PARN_OK;
}

parn_status parn__cfg_bool(const cJSON *cfg, const char *key, bool *out)
{
    const cJSON *v = cfg_item(cfg, key);
    if (!v) return PARN_OK;
    PARN_RETURN_IF(!cJSON_IsBool(v), PARN_E_INVALID_ARG,
                   "dataset config: \"%s\" must be true or false", key);
    *out = cJSON_IsTrue(v);
    return PARN_OK;
}

parn_status parn__cfg_string(const cJSON *cfg, const char *key, const char *const *choices,
                             const char **out)
{
    const cJSON *v = cfg_item(cfg, key);
    if (!v) return PARN_OK;
    PARN_RETURN_IF(!cJSON_IsString(v) || !*v->valuestring, PARN_E_INVALID_ARG,
                   "dataset config: \"%s\" must be a non-empty string", key);
    for (int i = 0; choices && choices[i]; i++)
        if (strcmp(v->valuestring, choices[i]) == 0) {
            *out = v->valuestring;
            return PARN_OK;
        }
    PARN_RETURN_IF(choices, PARN_E_INVALID_ARG, "dataset config: \"%s\" has no value \"%s\"", key,
                   v->valuestring);
    *out = v->valuestring;
    return PARN_OK;
}

/* Every key a kind reads; any other is a mistake worth an error. */
static const char *const common_keys[] = {"seed", "workers", "prefetch", NULL};
static const char *const kind_keys[][10] = {
    [PARN_DATA_FACES] = {"detect", "margin", "class_from", "jitter", "subset", "pairs", NULL},
    [PARN_DATA_FACE_VIDEOS] = {"margin", "jitter", "every", "stride", "min_face", NULL},
    [PARN_DATA_ACTIONS] = {"splits", "split", "subset", NULL},
    [PARN_DATA_HOLLYWOOD2] = {"subset", NULL},
    [PARN_DATA_SYNTHETIC] = {"classes", "clips", "width", "height", "subset", NULL},
};

static bool listed(const char *const *keys, const char *key)
{
    for (int i = 0; keys[i]; i++)
        if (strcmp(keys[i], key) == 0) return true;
    return false;
}

static parn_status check_keys(parn_data_kind kind, const cJSON *cfg)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, cfg)
    {
        PARN_RETURN_IF(!listed(common_keys, v->string) && !listed(kind_keys[kind], v->string),
                       PARN_E_INVALID_ARG, "dataset config: unknown key \"%s\" for kind \"%s\"",
                       v->string, kind_names[kind]);
    }
    return PARN_OK;
}

/* The parsed PARN_OPT_DATASET_CONFIG (a JSON object). */
static parn_status parse_config(const parn_options_t *opts, cJSON **out)
{
    const char *text = parn__opt_string(opts, PARN_OPT_DATASET_CONFIG);
    cJSON *cfg = cJSON_Parse(text && *text ? text : "{}");
    if (!cfg || !cJSON_IsObject(cfg)) {
        cJSON_Delete(cfg);
        return parn__fail(PARN_E_INVALID_ARG, "dataset config is not a JSON object: %.80s", text);
    }
    *out = cfg;
    return PARN_OK;
}

/* ---- tables ------------------------------------------------------------------------------------ */

int64_t parn__data_add_item(parn_dataset_t *d, const char *path, int label)
{
    if (d->n_items == d->cap_items) {
        int64_t cap = d->cap_items ? 2 * d->cap_items : 64;
        data_item *items = parn__realloc(d->items, (size_t)cap * sizeof *items);
        if (!items) return parn__fail(PARN_E_NOMEM, "dataset: out of memory"), -1;
        d->items = items;
        d->cap_items = cap;
    }
    data_item *it = &d->items[d->n_items];
    *it = (data_item){.label = label, .track = -1, .frames = -1};
    if (path && !(it->path = parn__strdup(path)))
        return parn__fail(PARN_E_NOMEM, "dataset: out of memory"), -1;
    return d->n_items++;
}

int parn__data_add_class(parn_dataset_t *d, const char *name)
{
    if (d->n_classes == d->cap_classes) {
        int cap = d->cap_classes ? 2 * d->cap_classes : 16;
        char **c = parn__realloc(d->classes, (size_t)cap * sizeof *c);
        if (!c) return parn__fail(PARN_E_NOMEM, "dataset: out of memory"), -1;
        d->classes = c;
        d->cap_classes = cap;
    }
    if (!(d->classes[d->n_classes] = parn__strdup(name)))
        return parn__fail(PARN_E_NOMEM, "dataset: out of memory"), -1;
    return d->n_classes++;
}

int parn__data_class_of(parn_dataset_t *d, const char *name)
{
    for (int i = d->n_classes - 1; i >= 0; i--) /* items usually come class by class */
        if (strcmp(d->classes[i], name) == 0) return i;
    return parn__data_add_class(d, name);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

parn_status parn__data_sort_classes(parn_dataset_t *d)
{
    int n = d->n_classes;
    char ***order = parn__malloc((size_t)(n ? n : 1) * sizeof *order);
    int *relabel = parn__malloc((size_t)(n ? n : 1) * sizeof *relabel);
    char **sorted = parn__malloc((size_t)(n ? n : 1) * sizeof *sorted);
    if (!order || !relabel || !sorted) {
        parn__free(order), parn__free(relabel), parn__free(sorted);
        return parn__fail(PARN_E_NOMEM, "dataset: out of memory");
    }
    for (int i = 0; i < n; i++) order[i] = &d->classes[i];
    qsort(order, (size_t)n, sizeof *order, by_name);
    for (int i = 0; i < n; i++) {
        relabel[order[i] - d->classes] = i;
        sorted[i] = *order[i];
    }
    memcpy(d->classes, sorted, (size_t)n * sizeof *sorted);
    for (int64_t i = 0; i < d->n_items; i++) d->items[i].label = relabel[d->items[i].label];
    parn__free(order), parn__free(relabel), parn__free(sorted);
    return PARN_OK;
}

/* ---- contexts and the order of the stream ------------------------------------------------------- */

parn_status parn__data_ctx_init(data_ctx *c)
{
    *c = (data_ctx){.order_epoch = -1};
    c->prep = parn_clip_prep_create();
    PARN_RETURN_IF(!c->prep, PARN_E_NOMEM, "dataset: out of memory");
    return PARN_OK;
}

void parn__data_ctx_free(data_ctx *c)
{
    parn_clip_prep_destroy(c->prep);
    parn__free(c->order);
    *c = (data_ctx){.order_epoch = -1};
}

/* Epoch e's permutation of the items (Fisher-Yates seeded by (seed, e)), kept per context. */
static parn_status order_of(const parn_dataset_t *d, data_ctx *c, int64_t epoch, int64_t **out)
{
    if (!c->order) {
        c->order = parn__malloc((size_t)d->n_items * sizeof *c->order);
        PARN_RETURN_IF(!c->order, PARN_E_NOMEM, "dataset: out of memory for the item order");
    }
    if (c->order_epoch != epoch) {
        parn_rng rng;
        parn__rng_seed(&rng, parn__data_mix(parn__data_mix(d->seed, SALT_ORDER), (uint64_t)epoch));
        for (int64_t i = 0; i < d->n_items; i++) c->order[i] = i;
        for (int64_t i = d->n_items - 1; i > 0; i--) {
            int64_t j = (int64_t)(parn__rng_next(&rng) % (uint64_t)(i + 1)), t = c->order[i];
            c->order[i] = c->order[j];
            c->order[j] = t;
        }
        c->order_epoch = epoch;
    }
    *out = c->order;
    return PARN_OK;
}

size_t parn__data_item_floats(const parn_batch_spec *s)
{
    return (size_t)3 * (size_t)s->frames * (size_t)s->size * (size_t)s->size;
}

/* Item g of the stream (the g-th of all batches) into x, label and box. */
static parn_status make_item(parn_dataset_t *d, data_ctx *c, const parn_batch_spec *s, int64_t g,
                             float *x, float *label, float *box)
{
    int64_t *order = NULL;
    PARN_TRY(order_of(d, c, g / d->n_items, &order));
    int64_t k = order[g % d->n_items];
    data_item *it = &d->items[k];
    parn_rng rng; /* every random choice of the item: a function of (seed, g) alone */
    parn__rng_seed(&rng, parn__data_mix(parn__data_mix(d->seed, SALT_ITEM), (uint64_t)g));
    *label = (float)it->label;
    for (int i = 0; box && i < 4 * s->frames; i++) box[i] = -1.0f;
    switch (d->kind) {
    case PARN_DATA_FACES:
    case PARN_DATA_FACE_VIDEOS: return parn__item_face(d, c, s, it, &rng, x);
    case PARN_DATA_ACTIONS:
    case PARN_DATA_HOLLYWOOD2: return parn__item_video_clip(d, c, s, it, &rng, x);
    case PARN_DATA_SYNTHETIC: return parn__item_synthetic(d, c, s, k, &rng, x, box);
    }
    return parn__fail(PARN_E_INTERNAL, "dataset: unknown kind %d", (int)d->kind);
}

parn_status parn__data_compute(parn_dataset_t *d, data_ctx *ctx, const parn_batch_spec *s,
                               int64_t b, float *x, float *labels, float *boxes)
{
    size_t floats = parn__data_item_floats(s);
    for (int i = 0; i < s->n; i++) {
        float *box = boxes ? boxes + (size_t)i * 4 * (size_t)s->frames : NULL;
        PARN_TRY(make_item(d, ctx, s, b * s->n + i, x + (size_t)i * floats, &labels[i], box));
    }
    return PARN_OK;
}

/* ---- the internal contract ---------------------------------------------------------------------- */

parn_data_kind parn__dataset_kind(const parn_dataset_t *d)
{
    return d->kind;
}

bool parn__dataset_is_faces(const parn_dataset_t *d)
{
    return d && (d->kind == PARN_DATA_FACES || d->kind == PARN_DATA_FACE_VIDEOS);
}

static parn_status check_spec(const parn_dataset_t *d, const parn_batch_spec *s, int64_t b,
                              const float *x, const float *labels)
{
    PARN_RETURN_IF(!d || !s || !x || !labels, PARN_E_INVALID_ARG, "dataset batch: NULL argument");
    PARN_RETURN_IF(s->n < 1 || s->n > 65536 || s->size < 8 || s->size > 4096 || s->frames < 1 ||
                       s->frames > 1024,
                   PARN_E_INVALID_ARG, "dataset batch: n %d, size %d or frames %d out of range",
                   s->n, s->size, s->frames);
    PARN_RETURN_IF(b < 0 || b > INT64_MAX / 65536 / 2, PARN_E_INVALID_ARG,
                   "dataset batch: index %lld out of range", (long long)b);
    return PARN_OK;
}

parn_status parn__dataset_batch(parn_dataset_t *d, const parn_batch_spec *spec, int64_t b,
                                float *x, float *labels, float *face_boxes)
{
    PARN_TRY(check_spec(d, spec, b, x, labels));
    if (d->workers == 0) return parn__data_compute(d, &d->sync, spec, b, x, labels, face_boxes);
    if (!d->loader) PARN_TRY(parn__loader_create(d, d->workers, d->prefetch, &d->loader));
    return parn__loader_batch(d->loader, spec, b, x, labels, face_boxes);
}

/* ---- public calls ----------------------------------------------------------------------------- */

void parn_dataset_destroy(parn_dataset_t *d)
{
    if (!d) return;
    parn__loader_destroy(d->loader); /* joins the workers before anything they read goes */
    for (int64_t i = 0; i < d->n_items; i++) parn__free(d->items[i].path);
    for (int i = 0; i < d->n_classes; i++) parn__free(d->classes[i]);
    for (int i = 0; i < d->n_tracks; i++) {
        parn__free(d->tracks[i].frame);
        parn__free(d->tracks[i].box);
    }
    parn__free(d->tracks);
    parn__free(d->items);
    parn__free(d->classes);
    parn__free(d->root);
    parn__data_ctx_free(&d->sync);
    pthread_mutex_destroy(&d->count_lock);
    parn__free(d);
}

static parn_status kind_of(const char *name, parn_data_kind *kind)
{
    for (int i = 0; i < (int)(sizeof kind_names / sizeof kind_names[0]); i++)
        if (name && strcmp(name, kind_names[i]) == 0) {
            *kind = (parn_data_kind)i;
            return PARN_OK;
        }
    return parn__fail(PARN_E_INVALID_ARG,
                      "parn_dataset_open: unknown kind '%s' (faces, face-videos, actions, "
                      "hollywood2 or synthetic)",
                      name ? name : "(null)");
}

/* The settings every kind shares: seed, workers, prefetch. */
static parn_status common_settings(parn_dataset_t *d, const cJSON *cfg, const parn_options_t *opts)
{
    int64_t seed = parn__opt_int(opts, PARN_OPT_SEED), workers = DEFAULT_WORKERS,
            prefetch = DEFAULT_PREFETCH;
    PARN_TRY(parn__cfg_int(cfg, "seed", 0, MAX_SEED, &seed));
    PARN_TRY(parn__cfg_int(cfg, "workers", 0, 64, &workers));
    PARN_TRY(parn__cfg_int(cfg, "prefetch", 1, 64, &prefetch));
    d->seed = (uint64_t)seed;
    d->workers = (int)workers;
    d->prefetch = (int)prefetch;
    return PARN_OK;
}

static parn_status index_kind(parn_dataset_t *d, const cJSON *cfg, const parn_options_t *opts)
{
    switch (d->kind) {
    case PARN_DATA_FACES: return parn__index_faces(d, cfg, opts);
    case PARN_DATA_FACE_VIDEOS: return parn__index_face_videos(d, cfg, opts);
    case PARN_DATA_ACTIONS: return parn__index_actions(d, cfg);
    case PARN_DATA_HOLLYWOOD2: return parn__index_hollywood2(d, cfg);
    case PARN_DATA_SYNTHETIC: return parn__index_synthetic(d, cfg);
    }
    return parn__fail(PARN_E_INTERNAL, "dataset: unknown kind %d", (int)d->kind);
}

static parn_status open_dataset(parn_dataset_t *d, const char *root, const parn_options_t *opts)
{
    cJSON *cfg = NULL;
    PARN_TRY(parse_config(opts, &cfg));
    parn_status st = check_keys(d->kind, cfg);
    if (st == PARN_OK) st = common_settings(d, cfg, opts);
    if (st == PARN_OK) st = parn__data_ctx_init(&d->sync);
    if (st == PARN_OK && root && !(d->root = parn__strdup(root)))
        st = parn__fail(PARN_E_NOMEM, "dataset: out of memory");
    if (st == PARN_OK) st = index_kind(d, cfg, opts);
    cJSON_Delete(cfg);
    return st;
}

parn_status parn_dataset_open(const char *kind, const char *root, const parn_options_t *opts,
                              parn_dataset_t **out)
{
    PARN_RETURN_IF(!out, PARN_E_INVALID_ARG, "parn_dataset_open: out is NULL");
    *out = NULL;
    parn_data_kind k = PARN_DATA_FACES;
    PARN_TRY(kind_of(kind, &k));
    PARN_RETURN_IF(k != PARN_DATA_SYNTHETIC && (!root || !*root), PARN_E_INVALID_ARG,
                   "parn_dataset_open: kind '%s' needs a root folder", kind);
    parn_dataset_t *d = parn__calloc(1, sizeof *d);
    PARN_RETURN_IF(!d, PARN_E_NOMEM, "parn_dataset_open: out of memory");
    d->kind = k;
    d->kind_name = kind_names[k];
    d->sync.order_epoch = -1;
    pthread_mutex_init(&d->count_lock, NULL);
    parn_status st = open_dataset(d, k == PARN_DATA_SYNTHETIC ? NULL : root, opts);
    if (st != PARN_OK) {
        parn_dataset_destroy(d);
        return st;
    }
    *out = d;
    return PARN_OK;
}

const char *parn_dataset_kind(const parn_dataset_t *d)
{
    return d ? d->kind_name : NULL;
}

int64_t parn_dataset_size(const parn_dataset_t *d)
{
    return d ? d->n_items : -1;
}

int parn_dataset_num_classes(const parn_dataset_t *d)
{
    return d ? d->n_classes : -1;
}

const char *parn_dataset_class_name(const parn_dataset_t *d, int i)
{
    return d && i >= 0 && i < d->n_classes ? d->classes[i] : NULL;
}
