/* SPDX-License-Identifier: MIT */
/* TensorFlow.js weight manifests: validated JSON, group byte streams, dequantisation to float32. */
#include "tfjs.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_MANIFEST_BYTES (64u << 20) /* far above any real manifest; bounds the read */
#define MAX_ELEMENTS ((int64_t)1 << 34)

typedef enum stored_type { ST_UINT8, ST_UINT16, ST_FLOAT16, ST_FLOAT32, ST_INT32 } stored_type;

static const int stored_size[] = {1, 2, 2, 4, 4};

/* One manifest entry while its group is parsed. */
typedef struct entry_spec {
    const char *name;      /* inside the cJSON tree */
    int ndim;
    int64_t dims[PARN_MAX_DIMS];
    int64_t numel;
    stored_type stored;
    bool is_int;           /* dtype int32: dequantised values are rounded */
    double min, scale;     /* uint8 / uint16 affine quantisation */
} entry_spec;

typedef struct tfjs_entry {
    char *name;
    parn_tensor t;
} tfjs_entry;

struct parn_tfjs {
    tfjs_entry *entries;
    int n, cap;
};

/* The reading context: manifest path (for messages) and folder (for the files). */
typedef struct reader {
    const char *path;
    char dir[1024];
} reader;

/* ---- small helpers ------------------------------------------------------------------------- */

static parn_status read_text(const char *path, char **text, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    PARN_RETURN_IF(!fp, PARN_E_IO, "tfjs: cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    parn_status st = PARN_OK;
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode))
        st = parn__fail(PARN_E_IO, "tfjs: '%s' is not a regular file", path);
    else if ((uint64_t)sb.st_size > MAX_MANIFEST_BYTES)
        st = parn__fail(PARN_E_FORMAT, "tfjs: manifest '%s' is too large (%lld bytes)", path,
                        (long long)sb.st_size);
    char *buf = st == PARN_OK ? parn__malloc((size_t)sb.st_size + 1) : NULL;
    if (st == PARN_OK && !buf) st = parn__fail(PARN_E_NOMEM, "tfjs: out of memory");
    if (st == PARN_OK && fread(buf, 1, (size_t)sb.st_size, fp) != (size_t)sb.st_size)
        st = parn__fail(PARN_E_IO, "tfjs: cannot read '%s'", path);
    fclose(fp);
    if (st != PARN_OK) {
        parn__free(buf);
        return st;
    }
    buf[sb.st_size] = '\0';
    *text = buf;
    *len = (size_t)sb.st_size;
    return PARN_OK;
}

/* Paths are relative to the manifest's folder and may not climb out of it. */
static bool safe_relative_path(const char *p)
{
    if (!*p || p[0] == '/' || strchr(p, '\\')) return false;
    for (const char *s = p; *s;) {
        size_t len = strcspn(s, "/");
        if (len == 2 && s[0] == '.' && s[1] == '.') return false;
        s += len + (s[len] == '/');
    }
    return true;
}

static float half_to_float(uint16_t h)
{
    int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v = exp == 0    ? ldexpf((float)mant, -24)
              : exp == 31 ? (mant ? NAN : INFINITY)
                          : ldexpf((float)(mant | 0x400), exp - 25);
    return (h & 0x8000) ? -v : v;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- manifest entries ---------------------------------------------------------------------- */

static parn_status parse_shape(const reader *r, const cJSON *shape, entry_spec *e)
{
    PARN_RETURN_IF(!cJSON_IsArray(shape), PARN_E_FORMAT,
                   "tfjs: %s: weight '%s': 'shape' is not an array", r->path, e->name);
    int ndim = cJSON_GetArraySize(shape);
    PARN_RETURN_IF(ndim > PARN_MAX_DIMS, PARN_E_UNSUPPORTED,
                   "tfjs: %s: weight '%s' has %d dimensions (at most %d)", r->path, e->name, ndim,
                   PARN_MAX_DIMS);
    e->ndim = ndim;
    e->numel = 1;
    int i = 0;
    for (const cJSON *d = shape->child; d; d = d->next, i++) {
        double v = cJSON_IsNumber(d) ? d->valuedouble : -1.0;
        PARN_RETURN_IF(!(v >= 0 && v <= INT32_MAX && v == floor(v)), PARN_E_FORMAT,
                       "tfjs: %s: weight '%s': dimension %d is not a non-negative integer",
                       r->path, e->name, i);
        e->dims[i] = (int64_t)v;
        e->numel *= e->dims[i];
        PARN_RETURN_IF(e->numel > MAX_ELEMENTS, PARN_E_FORMAT,
                       "tfjs: %s: weight '%s' is too large", r->path, e->name);
    }
    return PARN_OK;
}

static parn_status parse_quantization(const reader *r, entry_spec *e, const cJSON *q)
{
    PARN_RETURN_IF(!cJSON_IsObject(q), PARN_E_FORMAT,
                   "tfjs: %s: weight '%s': 'quantization' is not an object", r->path, e->name);
    const char *dt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(q, "dtype"));
    PARN_RETURN_IF(!dt, PARN_E_FORMAT, "tfjs: %s: weight '%s': quantization has no dtype",
                   r->path, e->name);
    if (strcmp(dt, "float16") == 0) {
        e->stored = ST_FLOAT16;
        return PARN_OK;
    }
    PARN_RETURN_IF(strcmp(dt, "uint8") != 0 && strcmp(dt, "uint16") != 0, PARN_E_UNSUPPORTED,
                   "tfjs: %s: weight '%s': quantization dtype '%s' is not supported (uint8, "
                   "uint16, float16)", r->path, e->name, dt);
    e->stored = dt[4] == '8' ? ST_UINT8 : ST_UINT16;
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(q, "min");
    const cJSON *scale = cJSON_GetObjectItemCaseSensitive(q, "scale");
    PARN_RETURN_IF(!cJSON_IsNumber(min) || !cJSON_IsNumber(scale) || !isfinite(min->valuedouble) ||
                       !isfinite(scale->valuedouble),
                   PARN_E_FORMAT, "tfjs: %s: weight '%s': %s quantization needs finite 'min' and "
                   "'scale' numbers", r->path, e->name, dt);
    e->min = min->valuedouble;
    e->scale = scale->valuedouble;
    return PARN_OK;
}

static parn_status parse_entry(const reader *r, const cJSON *item, int index, entry_spec *e)
{
    memset(e, 0, sizeof *e);
    PARN_RETURN_IF(!cJSON_IsObject(item), PARN_E_FORMAT, "tfjs: %s: weight %d is not an object",
                   r->path, index);
    e->name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "name"));
    PARN_RETURN_IF(!e->name || !*e->name, PARN_E_FORMAT, "tfjs: %s: weight %d has no name",
                   r->path, index);
    PARN_TRY(parse_shape(r, cJSON_GetObjectItemCaseSensitive(item, "shape"), e));
    const char *dt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "dtype"));
    PARN_RETURN_IF(!dt, PARN_E_FORMAT, "tfjs: %s: weight '%s' has no dtype", r->path, e->name);
    PARN_RETURN_IF(strcmp(dt, "float32") != 0 && strcmp(dt, "int32") != 0, PARN_E_UNSUPPORTED,
                   "tfjs: %s: weight '%s': dtype '%s' is not supported (float32, int32)", r->path,
                   e->name, dt);
    e->is_int = dt[0] == 'i';
    e->stored = e->is_int ? ST_INT32 : ST_FLOAT32;
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(item, "quantization");
    return q && !cJSON_IsNull(q) ? parse_quantization(r, e, q) : PARN_OK;
}

/* ---- decoding -------------------------------------------------------------------------------- */

static float dequantize(const entry_spec *e, double q)
{
    double v = q * e->scale + e->min;
    return (float)(e->is_int ? floor(v + 0.5) : v); /* JS Math.round */
}

static void decode(const entry_spec *e, const uint8_t *p, float *dst)
{
    for (int64_t i = 0; i < e->numel; i++) {
        switch (e->stored) {
        case ST_UINT8: dst[i] = dequantize(e, p[i]); break;
        case ST_UINT16: dst[i] = dequantize(e, (uint16_t)(p[2 * i] | p[2 * i + 1] << 8)); break;
        case ST_FLOAT16: dst[i] = half_to_float((uint16_t)(p[2 * i] | p[2 * i + 1] << 8)); break;
        case ST_FLOAT32: {
            uint32_t u = le32(p + 4 * i);
            memcpy(&dst[i], &u, sizeof u);
            break;
        }
        case ST_INT32: dst[i] = (float)(int32_t)le32(p + 4 * i); break;
        }
    }
}

static bool name_taken(const parn_tfjs *w, const char *name)
{
    for (int i = 0; i < w->n; i++)
        if (strcmp(w->entries[i].name, name) == 0) return true;
    return false;
}

static parn_status add_tensor(const reader *r, parn_tfjs *w, const entry_spec *e, const uint8_t *p)
{
    PARN_RETURN_IF(name_taken(w, e->name), PARN_E_FORMAT, "tfjs: %s: weight '%s' appears twice",
                   r->path, e->name);
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 32;
        tfjs_entry *t = parn__realloc(w->entries, (size_t)cap * sizeof *t);
        PARN_RETURN_IF(!t, PARN_E_NOMEM, "tfjs: out of memory");
        w->entries = t;
        w->cap = cap;
    }
    tfjs_entry *t = &w->entries[w->n];
    memset(t, 0, sizeof *t);
    t->name = parn__strdup(e->name);
    /* A zero-element tensor still gets a valid pointer. */
    t->t.data = parn__aligned_alloc((size_t)(e->numel ? e->numel : 1) * sizeof(float));
    if (!t->name || !t->t.data) {
        parn__free(t->name);
        parn__free(t->t.data);
        return parn__fail(PARN_E_NOMEM, "tfjs: out of memory for '%s'", e->name);
    }
    t->t.ndim = e->ndim;
    memcpy(t->t.dims, e->dims, sizeof e->dims);
    parn_tensor_set_plain(&t->t);
    decode(e, p, t->t.data);
    w->n++;
    return PARN_OK;
}

/* ---- groups ---------------------------------------------------------------------------------- */

/* Opens the group's files (checked names, regular files) and sums their sizes. */
static parn_status open_files(const reader *r, const cJSON *paths, int gi, FILE **fps,
                              uint64_t *total)
{
    *total = 0;
    int i = 0;
    for (const cJSON *p = paths->child; p; p = p->next, i++) {
        const char *name = cJSON_GetStringValue(p);
        PARN_RETURN_IF(!name || !safe_relative_path(name), PARN_E_FORMAT,
                       "tfjs: %s: group %d: path %d is not a relative file name inside the "
                       "manifest's folder", r->path, gi, i);
        char full[2048];
        PARN_RETURN_IF(snprintf(full, sizeof full, "%s%s", r->dir, name) >= (int)sizeof full,
                       PARN_E_INVALID_ARG, "tfjs: %s: path '%s' is too long", r->path, name);
        fps[i] = fopen(full, "rb");
        PARN_RETURN_IF(!fps[i], PARN_E_IO, "tfjs: %s: cannot open weights file '%s': %s", r->path,
                       full, strerror(errno));
        struct stat sb;
        PARN_RETURN_IF(fstat(fileno(fps[i]), &sb) != 0 || !S_ISREG(sb.st_mode), PARN_E_IO,
                       "tfjs: %s: '%s' is not a regular file", r->path, full);
        *total += (uint64_t)sb.st_size;
    }
    return PARN_OK;
}

/* The group's byte stream: its files concatenated, exactly `need` bytes long. */
static parn_status read_stream(const reader *r, const cJSON *paths, int gi, uint64_t need,
                               uint8_t **out)
{
    int n = cJSON_GetArraySize(paths);
    FILE **fps = parn__calloc((size_t)n, sizeof *fps);
    PARN_RETURN_IF(!fps, PARN_E_NOMEM, "tfjs: out of memory");
    uint64_t have = 0;
    parn_status st = open_files(r, paths, gi, fps, &have);
    if (st == PARN_OK && have < need)
        st = parn__fail(PARN_E_FORMAT, "tfjs: %s: group %d is truncated: its weights need %llu "
                        "bytes, its files hold %llu", r->path, gi, (unsigned long long)need,
                        (unsigned long long)have);
    if (st == PARN_OK && have > need)
        st = parn__fail(PARN_E_FORMAT, "tfjs: %s: group %d: its files hold %llu bytes, its weights "
                        "account for only %llu", r->path, gi, (unsigned long long)have,
                        (unsigned long long)need);
    uint8_t *buf = NULL;
    if (st == PARN_OK && !(buf = parn__malloc(need ? (size_t)need : 1)))
        st = parn__fail(PARN_E_NOMEM, "tfjs: out of memory for %llu bytes",
                        (unsigned long long)need);
    size_t at = 0;
    for (int i = 0; i < n && st == PARN_OK; i++) {
        size_t want = (size_t)(need - at), got = fread(buf + at, 1, want, fps[i]);
        at += got;
        if (ferror(fps[i]) || (i == n - 1 && at != need))
            st = parn__fail(PARN_E_IO, "tfjs: %s: group %d: reading its files failed", r->path, gi);
    }
    for (int i = 0; i < n; i++)
        if (fps[i]) fclose(fps[i]);
    parn__free(fps);
    if (st != PARN_OK) {
        parn__free(buf);
        return st;
    }
    *out = buf;
    return PARN_OK;
}

static parn_status parse_group(const reader *r, parn_tfjs *w, const cJSON *group, int gi)
{
    PARN_RETURN_IF(!cJSON_IsObject(group), PARN_E_FORMAT, "tfjs: %s: group %d is not an object",
                   r->path, gi);
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(group, "paths");
    const cJSON *weights = cJSON_GetObjectItemCaseSensitive(group, "weights");
    PARN_RETURN_IF(!cJSON_IsArray(paths) || cJSON_GetArraySize(paths) < 1, PARN_E_FORMAT,
                   "tfjs: %s: group %d has no 'paths' array of files", r->path, gi);
    PARN_RETURN_IF(!cJSON_IsArray(weights), PARN_E_FORMAT,
                   "tfjs: %s: group %d has no 'weights' array", r->path, gi);
    int n = cJSON_GetArraySize(weights);
    entry_spec *specs = parn__calloc((size_t)(n ? n : 1), sizeof *specs);
    PARN_RETURN_IF(!specs, PARN_E_NOMEM, "tfjs: out of memory");
    parn_status st = PARN_OK;
    uint64_t need = 0;
    int i = 0;
    for (const cJSON *it = weights->child; it && st == PARN_OK; it = it->next, i++) {
        st = parse_entry(r, it, i, &specs[i]);
        need += (uint64_t)specs[i].numel * (uint64_t)stored_size[specs[i].stored];
    }
    uint8_t *stream = NULL;
    if (st == PARN_OK) st = read_stream(r, paths, gi, need, &stream);
    uint64_t at = 0;
    for (i = 0; i < n && st == PARN_OK; i++) {
        st = add_tensor(r, w, &specs[i], stream + at);
        at += (uint64_t)specs[i].numel * (uint64_t)stored_size[specs[i].stored];
    }
    parn__free(stream);
    parn__free(specs);
    return st;
}

static parn_status parse_manifest(const reader *r, parn_tfjs *w, const char *text, size_t len)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        long at = end && end >= text ? (long)(end - text) : -1;
        return parn__fail(PARN_E_FORMAT, "tfjs: %s is not valid JSON (error near byte %ld)",
                          r->path, at);
    }
    parn_status st = PARN_OK;
    if (!cJSON_IsArray(root) || cJSON_GetArraySize(root) < 1)
        st = parn__fail(PARN_E_FORMAT, "tfjs: %s is not a non-empty JSON array of weight groups",
                        r->path);
    int gi = 0;
    for (const cJSON *g = root->child; g && st == PARN_OK; g = g->next, gi++)
        st = parse_group(r, w, g, gi);
    cJSON_Delete(root);
    return st;
}

/* ---- public ---------------------------------------------------------------------------------- */

parn_status parn_tfjs_load(const char *manifest_path, parn_tfjs **out)
{
    PARN_RETURN_IF(!manifest_path || !out, PARN_E_INVALID_ARG, "parn_tfjs_load: NULL argument");
    *out = NULL;
    reader r = {.path = manifest_path};
    const char *slash = strrchr(manifest_path, '/');
    size_t dlen = slash ? (size_t)(slash - manifest_path) + 1 : 0;
    PARN_RETURN_IF(dlen >= sizeof r.dir, PARN_E_INVALID_ARG, "tfjs: path '%s' is too long",
                   manifest_path);
    memcpy(r.dir, manifest_path, dlen);
    r.dir[dlen] = '\0';

    char *text = NULL;
    size_t len = 0;
    PARN_TRY(read_text(manifest_path, &text, &len));
    parn_tfjs *w = parn__calloc(1, sizeof *w);
    parn_status st = w ? parse_manifest(&r, w, text, len)
                       : parn__fail(PARN_E_NOMEM, "tfjs: out of memory");
    parn__free(text);
    if (st != PARN_OK) {
        parn_tfjs_free(w);
        return st;
    }
    *out = w;
    return PARN_OK;
}

void parn_tfjs_free(parn_tfjs *w)
{
    if (!w) return;
    for (int i = 0; i < w->n; i++) {
        parn__free(w->entries[i].name);
        parn__free(w->entries[i].t.data);
    }
    parn__free(w->entries);
    parn__free(w);
}

int parn_tfjs_count(const parn_tfjs *w)
{
    return w ? w->n : 0;
}

const char *parn_tfjs_name(const parn_tfjs *w, int i)
{
    return w && i >= 0 && i < w->n ? w->entries[i].name : NULL;
}

parn_status parn_tfjs_get(const parn_tfjs *w, const char *name, parn_tensor *out)
{
    PARN_RETURN_IF(!w || !name || !out, PARN_E_INVALID_ARG, "parn_tfjs_get: NULL argument");
    for (int i = 0; i < w->n; i++)
        if (strcmp(w->entries[i].name, name) == 0) {
            *out = w->entries[i].t;
            return PARN_OK;
        }
    return parn__fail(PARN_E_NOT_FOUND, "tfjs: no weight called '%s'", name);
}
