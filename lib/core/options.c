/* SPDX-License-Identifier: MIT */
/* Typed key/value options: one table describes every key, its type, range and default. */
#include "options.h"

#include <string.h>

typedef struct option_spec {
    parn_option key;
    const char *name;
    parn_option_type type;
    double min, max;
    double default_number;
    const char *default_string;
} option_spec;

static const option_spec specs[] = {
    {PARN_OPT_DEVICE, "device", PARN_OPT_TYPE_STRING, 0, 0, 0, "cpu"},
    {PARN_OPT_THREADS, "threads", PARN_OPT_TYPE_INT, 0, 1024, 0, NULL},
    {PARN_OPT_SEED, "seed", PARN_OPT_TYPE_INT, 0, 9007199254740992.0, 0, NULL},
    {PARN_OPT_NETWORKS, "networks", PARN_OPT_TYPE_STRING, 0, 0, 0, "generator,discriminator,fem,c3d"},
    {PARN_OPT_CLASSES, "classes", PARN_OPT_TYPE_INT, 1, 1024, 101, NULL},
    {PARN_OPT_CLASS_NAMES, "class_names", PARN_OPT_TYPE_STRING, 0, 0, 0, ""},
    {PARN_OPT_MODEL_CONFIG, "model_config", PARN_OPT_TYPE_STRING, 0, 0, 0, "{}"},
    {PARN_OPT_DETECTOR, "detector", PARN_OPT_TYPE_STRING, 0, 0, 0, "tiny"},
    {PARN_OPT_DETECTOR_INPUT_SIZE, "detector_input_size", PARN_OPT_TYPE_INT, 128, 1024, 416, NULL},
    {PARN_OPT_DETECTOR_THRESHOLD, "detector_threshold", PARN_OPT_TYPE_FLOAT, 0.01, 1, 0.5, NULL},
    {PARN_OPT_MAX_FACES, "max_faces", PARN_OPT_TYPE_INT, 1, 1000, 100, NULL},
    {PARN_OPT_FACE_MODEL, "face_model", PARN_OPT_TYPE_STRING, 0, 0, 0, ""},
    {PARN_OPT_ANON_MODE, "anon_mode", PARN_OPT_TYPE_STRING, 0, 0, 0, "auto"},
    {PARN_OPT_DETECT_EVERY, "detect_every", PARN_OPT_TYPE_INT, 1, 1000, 1, NULL},
    {PARN_OPT_TRACK_MEMORY, "track_memory", PARN_OPT_TYPE_INT, 0, 1000, 5, NULL},
    {PARN_OPT_FACE_MARGIN, "face_margin", PARN_OPT_TYPE_FLOAT, 0, 2, 0.25, NULL},
    {PARN_OPT_FACE_SHAPE, "face_shape", PARN_OPT_TYPE_STRING, 0, 0, 0, "ellipse"},
    {PARN_OPT_CLIP_STRIDE, "clip_stride", PARN_OPT_TYPE_INT, 1, 1024, 16, NULL},
    {PARN_OPT_TRAIN_CONFIG, "train_config", PARN_OPT_TYPE_STRING, 0, 0, 0, "{}"},
    {PARN_OPT_DATASET_CONFIG, "dataset_config", PARN_OPT_TYPE_STRING, 0, 0, 0, "{}"},
    {PARN_OPT_PRECISION, "precision", PARN_OPT_TYPE_STRING, 0, 0, 0, "fp32"},
};
#define N_SPECS (sizeof specs / sizeof specs[0])

typedef struct option_value {
    bool set;
    double number;
    char *string;
} option_value;

struct parn_options {
    option_value values[N_SPECS];
};

static int spec_index(parn_option key)
{
    for (size_t i = 0; i < N_SPECS; i++)
        if (specs[i].key == key) return (int)i;
    return -1;
}

parn_status parn_option_info(parn_option key, const char **name, parn_option_type *type,
                             double *min, double *max)
{
    int i = spec_index(key);
    PARN_RETURN_IF(i < 0, PARN_E_INVALID_ARG, "unknown option key %d", (int)key);
    if (name) *name = specs[i].name;
    if (type) *type = specs[i].type;
    if (min) *min = specs[i].min;
    if (max) *max = specs[i].max;
    return PARN_OK;
}

parn_status parn_options_create(parn_options_t **out)
{
    PARN_RETURN_IF(!out, PARN_E_INVALID_ARG, "parn_options_create: out is NULL");
    parn_options_t *o = parn__calloc(1, sizeof *o);
    PARN_RETURN_IF(!o, PARN_E_NOMEM, "parn_options_create: out of memory");
    *out = o;
    return PARN_OK;
}

void parn_options_destroy(parn_options_t *opts)
{
    if (!opts) return;
    for (size_t i = 0; i < N_SPECS; i++) parn__free(opts->values[i].string);
    parn__free(opts);
}

static parn_status lookup(const parn_options_t *opts, parn_option key, parn_option_type type,
                          int *index)
{
    PARN_RETURN_IF(!opts, PARN_E_INVALID_ARG, "options handle is NULL");
    int i = spec_index(key);
    PARN_RETURN_IF(i < 0, PARN_E_INVALID_ARG, "unknown option key %d", (int)key);
    PARN_RETURN_IF(specs[i].type != type, PARN_E_INVALID_ARG,
                   "option '%s' does not take a value of this type", specs[i].name);
    *index = i;
    return PARN_OK;
}

static parn_status set_number(parn_options_t *opts, parn_option key, parn_option_type type,
                              double value)
{
    int i = 0;
    PARN_TRY(lookup(opts, key, type, &i));
    PARN_RETURN_IF(!(value >= specs[i].min && value <= specs[i].max), PARN_E_INVALID_ARG,
                   "option '%s' = %g is outside [%g, %g]", specs[i].name, value, specs[i].min,
                   specs[i].max);
    opts->values[i].set = true;
    opts->values[i].number = value;
    return PARN_OK;
}

parn_status parn_options_set_int(parn_options_t *opts, parn_option key, int64_t value)
{
    return set_number(opts, key, PARN_OPT_TYPE_INT, (double)value);
}

parn_status parn_options_set_float(parn_options_t *opts, parn_option key, double value)
{
    return set_number(opts, key, PARN_OPT_TYPE_FLOAT, value);
}

parn_status parn_options_set_string(parn_options_t *opts, parn_option key, const char *value)
{
    int i = 0;
    PARN_TRY(lookup(opts, key, PARN_OPT_TYPE_STRING, &i));
    PARN_RETURN_IF(!value, PARN_E_INVALID_ARG, "option '%s': value is NULL", specs[i].name);
    char *copy = parn__strdup(value);
    PARN_RETURN_IF(!copy, PARN_E_NOMEM, "option '%s': out of memory", specs[i].name);
    parn__free(opts->values[i].string);
    opts->values[i].string = copy;
    opts->values[i].set = true;
    return PARN_OK;
}

parn_status parn_options_get_int(const parn_options_t *opts, parn_option key, int64_t *value)
{
    int i = 0;
    PARN_TRY(lookup(opts, key, PARN_OPT_TYPE_INT, &i));
    PARN_RETURN_IF(!value, PARN_E_INVALID_ARG, "option '%s': value is NULL", specs[i].name);
    *value = (int64_t)(opts->values[i].set ? opts->values[i].number : specs[i].default_number);
    return PARN_OK;
}

parn_status parn_options_get_float(const parn_options_t *opts, parn_option key, double *value)
{
    int i = 0;
    PARN_TRY(lookup(opts, key, PARN_OPT_TYPE_FLOAT, &i));
    PARN_RETURN_IF(!value, PARN_E_INVALID_ARG, "option '%s': value is NULL", specs[i].name);
    *value = opts->values[i].set ? opts->values[i].number : specs[i].default_number;
    return PARN_OK;
}

parn_status parn_options_get_string(const parn_options_t *opts, parn_option key, const char **value)
{
    int i = 0;
    PARN_TRY(lookup(opts, key, PARN_OPT_TYPE_STRING, &i));
    PARN_RETURN_IF(!value, PARN_E_INVALID_ARG, "option '%s': value is NULL", specs[i].name);
    *value = opts->values[i].set ? opts->values[i].string : specs[i].default_string;
    return PARN_OK;
}

bool parn__opt_is_set(const parn_options_t *opts, parn_option key)
{
    int i = spec_index(key);
    return opts && i >= 0 && opts->values[i].set;
}

int64_t parn__opt_int(const parn_options_t *opts, parn_option key)
{
    int i = spec_index(key);
    if (i < 0) return 0;
    return (int64_t)(opts && opts->values[i].set ? opts->values[i].number : specs[i].default_number);
}

double parn__opt_float(const parn_options_t *opts, parn_option key)
{
    int i = spec_index(key);
    if (i < 0) return 0;
    return opts && opts->values[i].set ? opts->values[i].number : specs[i].default_number;
}

const char *parn__opt_string(const parn_options_t *opts, parn_option key)
{
    int i = spec_index(key);
    if (i < 0) return NULL;
    return opts && opts->values[i].set ? opts->values[i].string : specs[i].default_string;
}

parn_status parn__options_merge(parn_options_t *dst, const parn_options_t *src)
{
    if (!src) return PARN_OK;
    for (size_t i = 0; i < N_SPECS; i++) {
        const option_value *v = &src->values[i];
        if (!v->set) continue;
        if (specs[i].type == PARN_OPT_TYPE_STRING) {
            PARN_TRY(parn_options_set_string(dst, specs[i].key, v->string));
        } else {
            dst->values[i].set = true;
            dst->values[i].number = v->number;
        }
    }
    return PARN_OK;
}
